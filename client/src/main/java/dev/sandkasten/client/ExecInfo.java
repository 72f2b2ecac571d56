package dev.sandkasten.client;

import java.time.Instant;

/**
 * A snapshot of one command of a session, as the daemon keeps it: every command is listed while
 * queued or running, and the last 100 finished ones (by default) after. It is not updated; ask
 * {@link Session#getExec(String)} again for a fresh one.
 *
 * @param execId       the command's id ({@code ex_...})
 * @param cmd          the command's first 1024 characters
 * @param cmdTruncated true if {@code cmd} was cut
 * @param state        queued, running, or how it ended
 * @param exitCode     the exit status when {@code state} is {@link ExecState#EXITED}, else {@code null}
 * @param cwd          for an exited foreground command, the shell's working directory afterwards;
 *                     for a background one, where it started; else {@code null}
 * @param createdAt    when the daemon received it
 * @param startedAt    when it started running, or {@code null} while queued
 * @param finishedAt   when it ended, or {@code null} while queued or running
 * @param durationMs   how long it ran (so far, while running), or {@code null} while queued
 * @param timeoutMs    its timeout in milliseconds
 * @param stdoutBytes  bytes it wrote to stdout so far
 * @param stderrBytes  bytes it wrote to stderr so far
 * @param background   true if it was started with {@link Session#execBackground}
 * @param pty          true if it runs on a pseudo-terminal
 * @param stateLost    true if it ended the shell itself and a fresh one took over
 */
public record ExecInfo(String execId, String cmd, boolean cmdTruncated, ExecState state, Integer exitCode, String cwd,
                       Instant createdAt, Instant startedAt, Instant finishedAt, Long durationMs, Long timeoutMs,
                       long stdoutBytes, long stderrBytes, boolean background, boolean pty, boolean stateLost) {}
