package dev.sandkasten.it;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** Base for test classes whose tests share one session on the shared daemon. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SessionFixture {
    final TestClient client = TestDaemon.client();
    String session;

    /** What to create the shared session with; override for another image. */
    Map<String, Object> sessionRequest() {
        return Map.of();
    }

    @BeforeAll
    void createSession() {
        session = client.createSession(sessionRequest());
    }

    @AfterAll
    void destroySession() {
        client.destroy(session);
    }
}
