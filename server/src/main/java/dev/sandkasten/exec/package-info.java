/**
 * The exec engine: one persistent bash per session, driven over its standard input, with a
 * control FIFO for completion records and a fresh pair of FIFOs per command for stdout and
 * stderr. Commands run one at a time in arrival order; each one's output goes into an {@link
 * dev.sandkasten.exec.ExecOutput}, a log in memory and on disk that any number of readers read
 * from any offset (blocking responses, streams, attach and resume). Timeouts and cancels kill the
 * command's cgroup, never the shell; a shell that is itself stuck is restarted and the outcome
 * says that its state was lost.
 */
package dev.sandkasten.exec;
