package dev.sandkasten.it;

import dev.sandkasten.client.CreateSessionOptions;
import dev.sandkasten.client.SandboxClient;
import dev.sandkasten.client.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** Base for test classes whose tests share one session on the shared daemon. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SessionFixture {
    final SandboxClient client = TestDaemon.sdk();
    Session session;

    /** What to create the shared session with; override for another image. */
    CreateSessionOptions sessionOptions() {
        return CreateSessionOptions.DEFAULTS;
    }

    @BeforeAll
    void createSession() {
        session = client.createSession(sessionOptions());
    }

    @AfterAll
    void destroySession() {
        session.destroy();
    }

    /** Stdout of a command that must succeed in the shared session. */
    String run(String cmd) {
        return Sdk.run(session, cmd);
    }
}
