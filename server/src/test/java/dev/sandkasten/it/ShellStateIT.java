package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The persistent shell: state survives between commands, commands run exactly as typed, in order. */
class ShellStateIT extends SessionFixture {

    @Test
    void cdExportFunctionsAliasesAndJobsPersist() {
        client.run(session, "mkdir -p /tmp/x && cd /tmp/x && export GREETING='hi there'");
        client.run(session, "greet() { echo \"$GREETING from $(pwd)\"; }; alias ll='echo aliased'");
        client.run(session, "declare -a arr=(a b c); counter=41");
        assertThat(client.run(session, "greet; ll; echo ${arr[2]} $((counter+1))"))
                .isEqualTo("hi there from /tmp/x\naliased\nc 42\n");
        client.run(session, "sleep 30 & echo $! > /tmp/job.pid");
        assertThat(client.run(session, "jobs | grep -c 'sleep 30'; kill -0 $(cat /tmp/job.pid) && echo alive"))
                .isEqualTo("1\nalive\n");
        client.run(session, "kill $(cat /tmp/job.pid); true");
        JsonNode r = client.exec(session, "pwd").body();
        assertThat(r.get("cwd").asText()).isEqualTo("/tmp/x");
    }

    @Test
    void stdoutAndStderrAreSeparateAndExitCodesReported() {
        JsonNode r = client.exec(session, "echo out; echo err >&2; exit 7").body();
        assertThat(r.get("exit_code").asInt()).isEqualTo(7);
        assertThat(r.get("stdout").asText()).isEqualTo("out\n");
        assertThat(r.get("stderr").asText()).isEqualTo("err\n");
        assertThat(r.get("output").asText()).contains("out\n").contains("err\n");
        // exit N ended the command, not the shell: state is still there.
        assertThat(client.exec(session, "false").body().get("exit_code").asInt()).isEqualTo(1);
        assertThat(client.run(session, "echo still here")).isEqualTo("still here\n");
    }

    @Test
    void backgroundJobOutputNeverLeaksIntoLaterCommands() {
        client.run(session, "(for i in 1 2 3 4 5 6; do echo bg-$i; sleep 0.2; done) &");
        for (int i = 0; i < 5; i++) {
            JsonNode r = client.exec(session, "sleep 0.2; echo fg").body();
            assertThat(r.get("output").asText()).isEqualTo("fg\n");
        }
    }

    @Test
    void commandsRunExactlyAsTyped() {
        String cmd = """
                cat <<'EOF'
                single 'quotes' and "double" and $dollar and `ticks`
                EOF
                printf '%s\\n' $'tab\\there' "ünïcødé ✓ 日本"
                echo "multi
                line"
                """;
        assertThat(client.run(session, cmd)).isEqualTo("single 'quotes' and \"double\" and $dollar and `ticks`\n"
                + "tab\there\nünïcødé ✓ 日本\nmulti\nline\n");
    }

    @Test
    void aOneMebibyteCommandRuns() {
        StringBuilder sb = new StringBuilder("x='");
        while (sb.length() < (1 << 20) - 64) sb.append("abcdefghij");
        sb.append("'; echo ${#x}");
        assertThat(sb.length()).isLessThanOrEqualTo(1 << 20);
        String out = client.run(session, sb.toString());
        assertThat(Integer.parseInt(out.trim())).isGreaterThan(1_000_000);
    }

    @Test
    void perCommandEnvAndCwdDoNotChangeTheSession() {
        client.run(session, "cd /workspace");
        Map<String, Object> body = Map.of("cmd", "echo $ONLY_HERE; pwd", "env", Map.of("ONLY_HERE", "yes"), "cwd", "/tmp");
        assertThat(client.exec(session, body).body().get("stdout").asText()).isEqualTo("yes\n/tmp\n");
        assertThat(client.run(session, "echo \"[$ONLY_HERE]\"; pwd")).isEqualTo("[]\n/workspace\n");
    }

    @Test
    void commandsOfOneSessionRunOneAtATimeInArrivalOrder() throws Exception {
        String s = client.createSession();
        try (ExecutorService pool = Executors.newFixedThreadPool(5)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                fs.add(pool.submit(() -> client.run(s, "echo start-" + n + " >> /tmp/order; sleep 0.3; echo end-" + n + " >> /tmp/order")));
                Thread.sleep(100); // arrival order is what we assert on
            }
            for (Future<?> f : fs) f.get();
        }
        List<String> lines = List.of(client.run(s, "cat /tmp/order").split("\n"));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            expected.add("start-" + i);
            expected.add("end-" + i);
        }
        assertThat(lines).isEqualTo(expected);
        client.destroy(s);
    }
}
