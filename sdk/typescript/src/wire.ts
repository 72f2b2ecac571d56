import type { ExecOptions, ExecResult, SessionInfo, SessionStats, SessionStatus } from './types.js';

/** The JSON body shared by blocking and streaming exec; undefined fields are left out by JSON.stringify. */
export function execBody(cmd: string, options: ExecOptions): Record<string, unknown> {
  return {
    cmd,
    timeout_ms: options.timeoutMs,
    env: options.env,
    cwd: options.cwd,
    raw_output: options.rawOutput,
    encoding: options.encoding,
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
