package dev.sandkasten.client;

/**
 * The outcome of a blocking {@link Session#exec(String)}: the command finished (whatever its exit
 * code) and this is all it printed. A non-zero exit code is not an exception; check
 * {@link #exitCode()}. Past the daemon's output cap each text field keeps its head and tail with
 * a {@code [... N bytes omitted ...]} marker between, and {@link #truncated()} is true.
 *
 * @param output       stdout and stderr interleaved in the order the daemon read them
 * @param exitCode     the command's exit status
 * @param cwd          the shell's working directory afterwards
 * @param durationMs   how long the command ran, in milliseconds
 * @param truncated    true if any of the text fields was cut
 * @param stdout       standard output alone
 * @param stderr       standard error alone
 * @param execId       the command's id ({@code ex_...})
 * @param stateLost    true if the command ended the shell itself and a fresh one took over
 *                     (files survive; cwd, variables and functions were reset)
 * @param encoding     how the text fields are encoded ({@link Encoding#BASE64} if asked for)
 * @param omittedBytes how many bytes {@code output} lost to truncation (0 if none)
 */
public record ExecResult(String output, int exitCode, String cwd, long durationMs, boolean truncated, String stdout,
                         String stderr, String execId, boolean stateLost, Encoding encoding, long omittedBytes) {}
