package dev.sandkasten.exec;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A snapshot of one command for listings. Fields that only exist at some point of the command's
 * life (exit code, cwd after it, start and end times) are empty before then.
 *
 * @param cmd the command text, cut to {@link Exec#CMD_PREVIEW_CHARS} characters
 * @param cmdTruncated whether {@code cmd} was cut
 * @param exitCode the exit status, for a command that ran to its end
 * @param cwd the shell's directory after the command, for a command that ran to its end
 * @param durationMs time from start to end, or so far for a running command
 * @param stdoutBytes bytes the command wrote to stdout (so far)
 * @param stderrBytes bytes the command wrote to stderr (so far)
 */
public record ExecInfo(String id, String cmd, boolean cmdTruncated, ExecState state, OptionalInt exitCode,
                       Optional<String> cwd, Instant createdAt, Optional<Instant> startedAt,
                       Optional<Instant> finishedAt, Optional<Long> durationMs, long timeoutMs,
                       long stdoutBytes, long stderrBytes, boolean background, boolean pty, boolean stateLost) {}
