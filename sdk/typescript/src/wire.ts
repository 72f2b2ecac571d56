import type {
  ExecInfo,
  ExecOptions,
  ExecResult,
  ExecState,
  FileEntry,
  FileType,
  SessionInfo,
  SessionStats,
  SessionStatus,
  WorkspaceInfo,
  WriteResult,
} from './types.js';

/** The JSON body shared by every kind of exec; undefined fields are left out by JSON.stringify. */
export function execBody(cmd: string, options: ExecOptions): Record<string, unknown> {
  return {
    cmd,
    timeout_ms: options.timeoutMs,
    env: options.env,
    cwd: options.cwd,
    raw_output: options.rawOutput,
    encoding: options.encoding,
    pty: options.pty,
    cols: options.cols,
    rows: options.rows,
  };
}

type Json = Record<string, unknown>;

/** Parses the daemon's SessionInfo. */
export function toSessionInfo(json: Json): SessionInfo {
  return {
    id: String(json.id),
    image: String(json.image),
    status: String(json.status) as SessionStatus,
    cwd: String(json.cwd),
    workspaceId: typeof json.workspace_id === 'string' ? json.workspace_id : null,
    createdAt: new Date(String(json.created_at)),
    expiresAt: new Date(String(json.expires_at)),
    lastActivity: typeof json.last_activity === 'string' ? new Date(json.last_activity) : null,
    labels: isRecord(json.labels) ? (json.labels as Record<string, string>) : {},
  };
}

/** Parses the answer of a blocking exec. */
export function toExecResult(json: Json): ExecResult {
  return {
    output: String(json.output ?? ''),
    exitCode: typeof json.exit_code === 'number' ? json.exit_code : -1,
    cwd: String(json.cwd ?? ''),
    durationMs: Number(json.duration_ms ?? 0),
    truncated: json.truncated === true,
    stdout: String(json.stdout ?? ''),
    stderr: String(json.stderr ?? ''),
    execId: typeof json.exec_id === 'string' ? json.exec_id : null,
    stateLost: json.state_lost === true,
    omittedBytes: typeof json.omitted_bytes === 'number' ? json.omitted_bytes : 0,
  };
}

/** Parses the answer of `GET .../stats`. */
export function toSessionStats(json: Json): SessionStats {
  return {
    memoryBytes: Number(json.memory_bytes),
    memoryLimit: Number(json.memory_limit),
    cpuUsageUsec: Number(json.cpu_usage_usec),
    pids: typeof json.pids === 'number' ? json.pids : null,
  };
}

/** Parses the daemon's ExecInfo. */
export function toExecInfo(json: Json): ExecInfo {
  return {
    execId: String(json.exec_id),
    cmd: String(json.cmd ?? ''),
    cmdTruncated: json.cmd_truncated === true,
    state: String(json.state) as ExecState,
    exitCode: typeof json.exit_code === 'number' ? json.exit_code : null,
    cwd: typeof json.cwd === 'string' ? json.cwd : null,
    createdAt: new Date(String(json.created_at)),
    startedAt: typeof json.started_at === 'string' ? new Date(json.started_at) : null,
    finishedAt: typeof json.finished_at === 'string' ? new Date(json.finished_at) : null,
    durationMs: typeof json.duration_ms === 'number' ? json.duration_ms : null,
    timeoutMs: Number(json.timeout_ms ?? 0),
    stdoutBytes: Number(json.stdout_bytes ?? 0),
    stderrBytes: Number(json.stderr_bytes ?? 0),
    background: json.background === true,
    pty: json.pty === true,
    stateLost: json.state_lost === true,
  };
}

/** Parses an Entry of `fs/list` and `fs/stat`. */
export function toFileEntry(json: Json): FileEntry {
  return {
    name: String(json.name),
    path: String(json.path),
    type: String(json.type) as FileType,
    size: Number(json.size ?? 0),
    modifiedAt: new Date(String(json.modified_at)),
    mode: String(json.mode ?? ''),
  };
}

/** Parses the answer of a file write. */
export function toWriteResult(json: Json): WriteResult {
  return { path: String(json.path), size: Number(json.size ?? 0) };
}

/** Parses one workspace of `GET /v1/workspaces`. */
export function toWorkspaceInfo(json: Json): WorkspaceInfo {
  return {
    id: String(json.id),
    createdAt: new Date(String(json.created_at)),
    sessions: typeof json.sessions === 'number' ? json.sessions : 0,
  };
}

interface BufferLike {
  from(bytes: Uint8Array): { toString(encoding: 'base64'): string };
}

/** Base64 of `bytes`: Node's Buffer where there is one, else `btoa`. */
export function toBase64(bytes: Uint8Array): string {
  const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
  if (NodeBuffer) return NodeBuffer.from(bytes).toString('base64');
  let binary = '';
  // In slices: String.fromCharCode takes its bytes as arguments, and arguments are limited.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
