/** Lifecycle state of a session as the daemon reports it. */
export type SessionStatus = 'running' | 'expired' | 'destroyed' | 'lost';

/** A snapshot of a session, from `session.info()` and `client.listSessions()`. */
export interface SessionInfo {
  /** Session id (`sb_` plus 24 URL-safe characters). */
  id: string;
  /** Image the sandbox runs (`base` or `python`). */
  image: string;
  /** `lost` means the sandbox died underneath the session. */
  status: SessionStatus;
  /** Working directory of the session's shell after its last command. */
  cwd: string;
  workspaceId: string | null;
  createdAt: Date;
  /** The lease: every exec pushes it to `now + ttl`. */
  expiresAt: Date;
  lastActivity: Date | null;
  labels: Record<string, string>;
}

/** Options for {@link SandboxClient.createSession}. Everything is optional. */
export interface CreateSessionOptions {
  /** `base` or `python`; the daemon's default (`python`) when omitted. */
  image?: string;
  /** Lease in seconds, renewed by every exec; capped by the daemon's `session_max_ttl_seconds`. */
  ttlSeconds?: number;
  /**
   * A persistent workspace to mount at `/workspace`, created if it does not exist yet: its files
   * outlive the session. 1 to 64 letters, digits, `_`, `-` and `.`, starting with a letter or digit.
   */
  workspaceId?: string;
  /** Environment variables for every command of the session. */
  env?: Record<string, string>;
  /** Free-form labels, returned with the session info. */
  labels?: Record<string, string>;
  /** Network mode; the daemon supports `none` (loopback only), its default. */
  network?: string;
  /** Aborts the HTTP request. */
  signal?: AbortSignal;
}

/** Resource usage of a session's sandbox (cgroup figures). */
export interface SessionStats {
  memoryBytes: number;
  memoryLimit: number;
  cpuUsageUsec: number;
  pids: number | null;
}

/** Options shared by blocking, streaming and background exec. */
export interface ExecOptions {
  /** Command timeout in milliseconds; the daemon's default (120 s) when omitted, capped by its maximum. */
  timeoutMs?: number;
  /** Variables for this command only (it then runs in a subshell and cannot change the session's state). */
  env?: Record<string, string>;
  /** Working directory for this command only (it then runs in a subshell). */
  cwd?: string;
  /** Keep ANSI escape sequences and CRLF as the program wrote them. */
  rawOutput?: boolean;
  /** `base64` makes every output field base64 text of the exact bytes. */
  encoding?: 'utf8' | 'base64';
  /**
   * Run the command on a pseudo-terminal, so programs see a TTY (colours, `isatty`, progress
   * bars). stdout and stderr then arrive merged as `stdout`. It cannot change the session's
   * state (`cd`, `export` end with it).
   */
  pty?: boolean;
  /** Terminal width with `pty` (1 to 1000, default 80). */
  cols?: number;
  /** Terminal height with `pty` (1 to 1000, default 24). */
  rows?: number;
  /**
   * Blocking exec: aborts the HTTP request only. The daemon does not learn of it, so the
   * command runs on until it ends or times out; use `execStream` for commands you may cancel.
   * Streaming exec: cancels the command on the daemon at once.
   */
  signal?: AbortSignal;
}

/** Options of {@link Session.execStream}. */
export interface ExecStreamOptions extends ExecOptions {
  /** Largest payload of one chunk in bytes; the daemon's default is 16 KiB, its cap 1 MiB. */
  chunkSize?: number;
  /**
   * Give the command an input to write to with `session.writeStdin(await stream.open(), ...)`;
   * otherwise it reads from `/dev/null`.
   */
  stdin?: boolean;
  /**
   * How long the command outlives a broken connection, in milliseconds, so that the stream can
   * resume where it was. Default: the client's `detachGraceMs` (30 s). `0` turns resuming off: a
   * broken connection then ends the stream with a `StreamError`. Leaving the loop early cancels
   * the command at once whatever this says.
   */
  detachGraceMs?: number;
}

/** Options of {@link Session.execBackground}. */
export interface BackgroundExecOptions extends Omit<ExecOptions, 'signal'> {
  /** Give the command an input to write to with `handle.writeStdin(...)`; otherwise it reads from `/dev/null`. */
  stdin?: boolean;
  /** Aborts the HTTP request (not the command: cancel that with `handle.cancel()`). */
  signal?: AbortSignal;
}

/** Options of {@link Session.attach}. */
export interface AttachOptions {
  /**
   * The last event id you already have (a chunk's `eventId`): the stream starts right after it.
   * `0` skips only the `start` event; omitted, the stream starts at the very beginning.
   */
  from?: number;
  /** Output encoding; default: what the command was started with. */
  encoding?: 'utf8' | 'base64';
  /** Keep ANSI escapes and CRLF; default: what the command was started with. */
  rawOutput?: boolean;
  /** Largest payload of one chunk in bytes; default: what the command was started with. */
  chunkSize?: number;
  /** Ends the stream (it does not cancel the command). */
  signal?: AbortSignal;
}

/** Result of a blocking {@link Session.exec}. */
export interface ExecResult {
  /** stdout and stderr interleaved in the order the daemon read them. */
  output: string;
  exitCode: number;
  /** Working directory of the session's shell after the command. */
  cwd: string;
  durationMs: number;
  /** True when the output exceeded the daemon's `max_output_bytes` and its middle was cut. */
  truncated: boolean;
  stdout: string;
  stderr: string;
  /** The daemon's id for the command (null from servers that do not send one). */
  execId: string | null;
  /** True when the command ended the shell itself and a fresh one replaced it. */
  stateLost: boolean;
  /** How many bytes `output` lost to truncation (0 when not truncated). */
  omittedBytes: number;
}

/** One piece of output from {@link Session.execStream} or {@link Session.attach}. */
export interface OutputChunk {
  kind: 'output';
  done: false;
  /** Text as the program wrote it (base64 with `encoding: 'base64'`). */
  output: string;
  stream: 'stdout' | 'stderr';
  /** When the daemon read the bytes, Unix epoch milliseconds. */
  timestamp: number;
  execId: string | null;
  /** The event's id: pass it as `attach(execId, { from })` to continue right after this chunk. */
  eventId: number | null;
  gap: null;
  exitCode: null;
  cwd: null;
  durationMs: null;
  stateLost: false;
}

/** Where output was dropped: byte offsets `[from, to)` of the command's output log. */
export interface OutputGap {
  from: number;
  to: number;
  /** How many bytes were dropped (`to - from`). */
  bytes: number;
}

/**
 * Output is missing here: the daemon keeps at most `exec_log_max_bytes` (64 MiB) of a command's
 * output, and dropped the middle of output nobody was attached to. The stream goes on after it.
 */
export interface GapChunk {
  kind: 'gap';
  done: false;
  /** Always empty: the dropped text is gone. */
  output: '';
  stream: null;
  timestamp: number;
  execId: string | null;
  eventId: number | null;
  gap: OutputGap;
  exitCode: null;
  cwd: null;
  durationMs: null;
  stateLost: false;
}

/** The last item of {@link Session.execStream}: the command ended. */
export interface DoneChunk {
  kind: 'done';
  done: true;
  /** Always empty: all output came in earlier chunks. */
  output: '';
  stream: null;
  /** When the command ended (when the client learned of it, if the daemon did not say), Unix epoch milliseconds. */
  timestamp: number;
  execId: string | null;
  eventId: number | null;
  gap: null;
  exitCode: number;
  cwd: string;
  durationMs: number;
  stateLost: boolean;
}

/**
 * What `for await (const chunk of session.execStream(cmd))` yields; narrow on `chunk.kind` (or on
 * `chunk.done` when gaps do not matter: a gap's `output` is empty).
 */
export type ExecChunk = OutputChunk | GapChunk | DoneChunk;

/**
 * Where a command is: `queued`, `running`, or how it ended: `exited` (ran to its end, `exit N`
 * included), `timed_out`, `cancelled` (a cancel, or its streaming client went away), `lost` (the
 * sandbox died).
 */
export type ExecState = 'queued' | 'running' | 'exited' | 'timed_out' | 'cancelled' | 'lost';

/** A command as a resource of its session, from `session.getExec()`, `session.listExecs()` and `handle.info()`. */
export interface ExecInfo {
  execId: string;
  /** The command's first 1024 characters. */
  cmd: string;
  /** Whether `cmd` was cut. */
  cmdTruncated: boolean;
  state: ExecState;
  /** Set once the state is `exited`, else null. */
  exitCode: number | null;
  /** The shell's working directory after the command (set once `exited`). */
  cwd: string | null;
  createdAt: Date;
  /** Null while queued. */
  startedAt: Date | null;
  /** Null until it ends. */
  finishedAt: Date | null;
  /** How long it ran (so far, while running); null while queued. */
  durationMs: number | null;
  timeoutMs: number;
  /** Bytes it wrote to stdout so far. */
  stdoutBytes: number;
  /** Bytes it wrote to stderr so far. */
  stderrBytes: number;
  background: boolean;
  pty: boolean;
  stateLost: boolean;
}

/** A signal name for `session.signal()`; with or without `SIG`, in any case. */
export type SignalName =
  | 'SIGINT'
  | 'SIGTERM'
  | 'SIGKILL'
  | 'SIGHUP'
  | 'SIGQUIT'
  | 'SIGUSR1'
  | 'SIGUSR2'
  | 'SIGSTOP'
  | 'SIGCONT'
  | (string & {});

/** What a path is, from `files.list()` and `files.stat()`. */
export type FileType = 'file' | 'directory' | 'symlink' | 'other';

/** A file or directory of a session's or workspace's `/workspace`. */
export interface FileEntry {
  name: string;
  /** Normalised absolute path, e.g. `/workspace/src/main.py`. */
  path: string;
  type: FileType;
  /** Size in bytes. */
  size: number;
  modifiedAt: Date;
  /** Permission bits in octal, e.g. `0644`. */
  mode: string;
}

/** What a write or upload did. */
export interface WriteResult {
  /** Normalised absolute path of the file written. */
  path: string;
  /** Bytes written. */
  size: number;
}

/** A persistent workspace, from `client.listWorkspaces()`. */
export interface WorkspaceInfo {
  id: string;
  createdAt: Date;
  /** How many live sessions use it now. */
  sessions: number;
}
