package dev.sandkasten.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sandkasten.client.ExecOptions;
import dev.sandkasten.client.ExecResult;
import dev.sandkasten.client.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The persistent shell: state survives between commands, commands run exactly as typed, in order. */
class ShellStateIT extends SessionFixture {

    @Test
    void cdExportFunctionsAliasesAndJobsPersist() {
        run("mkdir -p /tmp/x && cd /tmp/x && export GREETING='hi there'");
        run("greet() { echo \"$GREETING from $(pwd)\"; }; alias ll='echo aliased'");
        run("declare -a arr=(a b c); counter=41");
        assertThat(run("greet; ll; echo ${arr[2]} $((counter+1))"))
                .isEqualTo("hi there from /tmp/x\naliased\nc 42\n");
        run("sleep 30 & echo $! > /tmp/job.pid");
        assertThat(run("jobs | grep -c 'sleep 30'; kill -0 $(cat /tmp/job.pid) && echo alive"))
                .isEqualTo("1\nalive\n");
        run("kill $(cat /tmp/job.pid); true");
        assertThat(session.exec("pwd").cwd()).isEqualTo("/tmp/x");
    }

    @Test
    void hundredsOfCommandsInARowEachGetTheirOwnOutput() {
        // A session starts with output FIFOs for a few commands and makes more in batches of 64
        // ahead of need: 200 commands cross several batch boundaries.
        try (Session s = client.createSession()) {
            for (int i = 0; i < 200; i++) {
                ExecResult r = s.exec("echo " + i + "; echo e" + i + " >&2");
                assertThat(r.stdout()).isEqualTo(i + "\n");
                assertThat(r.stderr()).isEqualTo("e" + i + "\n");
            }
        }
    }

    @Test
    void stdoutAndStderrAreSeparateAndExitCodesReported() {
        ExecResult r = session.exec("echo out; echo err >&2; exit 7");
        assertThat(r.exitCode()).isEqualTo(7);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.output()).contains("out\n").contains("err\n");
        // exit N ended the command, not the shell: state is still there.
        assertThat(session.exec("false").exitCode()).isEqualTo(1);
        assertThat(run("echo still here")).isEqualTo("still here\n");
    }

    @Test
    void backgroundJobOutputNeverLeaksIntoLaterCommands() {
        run("(for i in 1 2 3 4 5 6; do echo bg-$i; sleep 0.2; done) &");
        for (int i = 0; i < 5; i++) {
            assertThat(session.exec("sleep 0.2; echo fg").output()).isEqualTo("fg\n");
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
        assertThat(run(cmd)).isEqualTo("single 'quotes' and \"double\" and $dollar and `ticks`\n"
                + "tab\there\nünïcødé ✓ 日本\nmulti\nline\n");
    }

    @Test
    void aOneMebibyteCommandRuns() {
        StringBuilder sb = new StringBuilder("x='");
        while (sb.length() < (1 << 20) - 64) sb.append("abcdefghij");
        sb.append("'; echo ${#x}");
        assertThat(sb.length()).isLessThanOrEqualTo(1 << 20);
        String out = run(sb.toString());
        assertThat(Integer.parseInt(out.trim())).isGreaterThan(1_000_000);
    }

    @Test
    void perCommandEnvAndCwdDoNotChangeTheSession() {
        run("cd /workspace");
        ExecOptions options = ExecOptions.builder().env("ONLY_HERE", "yes").cwd("/tmp").build();
        assertThat(session.exec("echo $ONLY_HERE; pwd", options).stdout()).isEqualTo("yes\n/tmp\n");
        assertThat(run("echo \"[$ONLY_HERE]\"; pwd")).isEqualTo("[]\n/workspace\n");
    }

    @Test
    void commandsOfOneSessionRunOneAtATimeInArrivalOrder() throws Exception {
        try (Session s = client.createSession()) {
            List<CompletableFuture<ExecResult>> fs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                fs.add(s.execAsync("echo start-" + i + " >> /tmp/order; sleep 0.3; echo end-" + i + " >> /tmp/order"));
                Thread.sleep(100); // arrival order is what we assert on
            }
            for (CompletableFuture<ExecResult> f : fs) assertThat(f.join().exitCode()).isZero();
            List<String> lines = List.of(Sdk.run(s, "cat /tmp/order").split("\n"));
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                expected.add("start-" + i);
                expected.add("end-" + i);
            }
            assertThat(lines).isEqualTo(expected);
        }
    }
}
