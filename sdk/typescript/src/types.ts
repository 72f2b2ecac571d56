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
  /** A persistent workspace to mount at `/workspace` (when the daemon supports it; this one answers 400). */
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

/** Options shared by blocking and streaming exec. */
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

/** One piece of output from {@link Session.execStream}. */
export interface OutputChunk {
  done: false;
  /** Text as the program wrote it (base64 with `encoding: 'base64'`). */
  output: string;
  stream: 'stdout' | 'stderr';
  /** When the daemon read the bytes, Unix epoch milliseconds. */
  timestamp: number;
  execId: string | null;
  exitCode: null;
  cwd: null;
  durationMs: null;
  stateLost: false;
}

/** The last item of {@link Session.execStream}: the command ended. */
export interface DoneChunk {
  done: true;
  /** Always empty: all output came in earlier chunks. */
  output: '';
  stream: null;
  /** When the command ended (when the client learned of it, if the daemon did not say), Unix epoch milliseconds. */
  timestamp: number;
  execId: string | null;
  exitCode: number;
  cwd: string;
  durationMs: number;
  stateLost: boolean;
}

/** What `for await (const chunk of session.execStream(cmd))` yields; narrow on `chunk.done`. */
export type ExecChunk = OutputChunk | DoneChunk;
