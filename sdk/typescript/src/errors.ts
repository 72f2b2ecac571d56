/**
 * The errors this package throws; the same classes as the Python SDK's.
 *
 * ```text
 * SandkastenError
 * ├── SandkastenConnectionError        the daemon could not be reached (or did not answer in time)
 * ├── APIError(status, code, message)  the daemon answered with an HTTP error
 * │   ├── BadRequestError              400
 * │   ├── AuthenticationError          401
 * │   ├── NotFoundError                404
 * │   ├── ConflictError                409
 * │   ├── SessionGoneError             410
 * │   ├── PayloadTooLargeError         413
 * │   ├── QuotaExceededError           429 (the tenant is at a quota)
 * │   ├── InternalServerError          500
 * │   └── ServiceUnavailableError      503
 * └── StreamError                      a command ended without a result
 *     ├── CommandTimeoutError          it ran past its timeout (stream, or a blocking 504)
 *     └── CommandCancelledError        it was cancelled while it ran
 * ```
 *
 * Argument mistakes caught before any request (a `cmd` that is not a string) are `TypeError`s.
 *
 * @module
 */
import type { ExecResult } from './types.js';

/** Base class of every error this package throws. */
export class SandkastenError extends Error {
  static {
    this.prototype.name = 'SandkastenError';
  }
}

/** The daemon could not be reached, did not answer in time, or the connection broke mid-request. */
export class SandkastenConnectionError extends SandkastenError {
  static {
    this.prototype.name = 'SandkastenConnectionError';
  }
}

/**
 * The daemon answered with an HTTP error. `message` is the daemon's own text, the status and
 * code, and what to do about it.
 */
export class APIError extends SandkastenError {
  static {
    this.prototype.name = 'APIError';
  }
  /** What to do about errors of this class; appended to `message`. */
  static readonly hint: string = '';
  /** HTTP status, e.g. 404. */
  readonly status: number;
  /** The daemon's machine code, e.g. `SESSION_NOT_FOUND`; null when the answer had none (e.g. from a proxy). */
  readonly code: string | null;
  /** The daemon's own message, without status or hint. */
  readonly detail: string;
  /** The decoded JSON body of the answer, if it was JSON. */
  readonly body: unknown;

  constructor(status: number, code: string | null, detail: string, options: { body?: unknown; hint?: string } = {}) {
    const hint = options.hint ?? (new.target as typeof APIError).hint;
    super(`${detail} (HTTP ${status}${code ? ` ${code}` : ''})${hint ? `. ${hint}` : ''}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = options.body;
  }
}

/** 400: the daemon rejected the request's arguments (the message names the field). */
export class BadRequestError extends APIError {
  static {
    this.prototype.name = 'BadRequestError';
  }
  static override readonly hint = 'Fix the argument the message names and try again';
}

/** 401: the API key is missing or wrong. */
export class AuthenticationError extends APIError {
  static {
    this.prototype.name = 'AuthenticationError';
  }
  static override readonly hint =
    'Pass the daemon\'s key as new SandboxClient({ apiKey }) or set SANDKASTEN_API_KEY; the daemon prints a ' +
    'generated key on its first start and stores it in <data dir>/api-key';
}

/** 404: no such session, exec, file, workspace or route; `code` tells which (`SESSION_NOT_FOUND`, `EXEC_NOT_FOUND`, `NOT_FOUND`). */
export class NotFoundError extends APIError {
  static {
    this.prototype.name = 'NotFoundError';
  }
  static override readonly hint =
    'Check the id; a session that was destroyed or expired is gone for good, so create a new one with ' +
    'client.createSession()';
}

/**
 * 409: the request conflicts with the state of the session, command or file: `code` tells which
 * (`CONFLICT`, `STDIN_FULL`, `STDIN_CLOSED`, `NO_STDIN`, `EXEC_NOT_RUNNING`, `NO_PTY`).
 */
export class ConflictError extends APIError {
  static {
    this.prototype.name = 'ConflictError';
  }
}

/** 410: the session was destroyed, expired or lost its sandbox. */
export class SessionGoneError extends APIError {
  static {
    this.prototype.name = 'SessionGoneError';
  }
  static override readonly hint = 'Create a new session with client.createSession()';
}

/** 413: the request is too large: a `cmd` or stdin write over 1 MiB, a file over the daemon's `max_file_bytes`. */
export class PayloadTooLargeError extends APIError {
  static {
    this.prototype.name = 'PayloadTooLargeError';
  }
  static override readonly hint = 'Send less in one request; large inputs go best through session.files';
}

/** 429: the API key's tenant is at one of its quotas (sessions, or commands running at once). */
export class QuotaExceededError extends APIError {
  static {
    this.prototype.name = 'QuotaExceededError';
  }
  static override readonly hint = 'Destroy sessions or wait for commands to end; the message says which quota the key is at';
}

/** 500: a bug in the daemon; its log has the details. */
export class InternalServerError extends APIError {
  static {
    this.prototype.name = 'InternalServerError';
  }
  static override readonly hint = "This is a daemon bug: look for the details in the daemon's log and report it";
}

/** 503: the daemon cannot take the request now (session limit reached, sandbox failed to start). */
export class ServiceUnavailableError extends APIError {
  static {
    this.prototype.name = 'ServiceUnavailableError';
  }
  static override readonly hint = 'Destroy sessions you no longer need, or retry later';
}

/**
 * A command ended without a result: the daemon sent an `error` event, or the stream broke off.
 * When the stream broke, the client asked the daemon to cancel the command.
 */
export class StreamError extends SandkastenError {
  static {
    this.prototype.name = 'StreamError';
  }
  /** The daemon's code (`COMMAND_TIMEOUT`, `CANCELLED`, `SESSION_GONE`), or null when the connection broke. */
  readonly code: string | null;
  /** The command's id, when it was known. */
  readonly execId: string | null;

  constructor(message: string, options: { code?: string | null; execId?: string | null; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? null;
    this.execId = options.execId ?? null;
  }
}

/**
 * The command ran past its timeout and the daemon killed its processes; the session is ready
 * for the next command. Thrown by `execStream` when the stream ends with a timeout, and by
 * `exec` when the daemon answers 504.
 */
export class CommandTimeoutError extends StreamError {
  static {
    this.prototype.name = 'CommandTimeoutError';
  }
  /**
   * The output received before the timeout. From `execStream` at most the last 1 MiB of text
   * (`truncated` tells whether earlier text was dropped); from `exec` the daemon's (head and
   * tail kept past its output limit).
   */
  readonly output: string;
  /** Whether `output` lacks part of what the command wrote. */
  readonly truncated: boolean;
  /** How long the command ran, if the daemon said. */
  readonly durationMs: number | null;
  /** True when the shell itself was stuck and had to be replaced (its `cd`, exports and functions are gone). */
  readonly stateLost: boolean;
  /** For `exec` only: the whole partial result, with `stdout` and `stderr` apart; null for streams. */
  readonly result: ExecResult | null;

  constructor(
    message: string,
    options: {
      output?: string;
      truncated?: boolean;
      durationMs?: number | null;
      stateLost?: boolean;
      execId?: string | null;
      result?: ExecResult | null;
    } = {},
  ) {
    super(
      `${message}. Pass a larger timeoutMs (the daemon caps it at its exec_max_timeout_ms), ` +
        'or run the work in the background and poll it',
      { code: 'COMMAND_TIMEOUT', execId: options.execId ?? null },
    );
    this.output = options.output ?? '';
    this.truncated = options.truncated ?? false;
    this.durationMs = options.durationMs ?? null;
    this.stateLost = options.stateLost ?? false;
    this.result = options.result ?? null;
  }
}

/** The command was cancelled (`DELETE .../execs/{id}`, e.g. `session.cancel(execId)`) while it ran or waited. */
export class CommandCancelledError extends StreamError {
  static {
    this.prototype.name = 'CommandCancelledError';
  }

  constructor(message: string, options: { execId?: string | null } = {}) {
    super(message, { code: 'CANCELLED', execId: options.execId ?? null });
  }
}

type ApiErrorClass = new (
  status: number,
  code: string | null,
  detail: string,
  options?: { body?: unknown; hint?: string },
) => APIError;

const STATUS_ERRORS: Record<number, ApiErrorClass> = {
  400: BadRequestError,
  401: AuthenticationError,
  404: NotFoundError,
  409: ConflictError,
  410: SessionGoneError,
  413: PayloadTooLargeError,
  429: QuotaExceededError,
  500: InternalServerError,
  503: ServiceUnavailableError,
};

/**
 * The error for a non-2xx answer. `toResult` parses a 504's partial exec result; it is passed in
 * to keep this module free of wire parsing.
 */
export function errorFromResponse(
  status: number,
  bodyText: string,
  toResult: (json: Record<string, unknown>) => ExecResult,
): SandkastenError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  let detail: string;
  let code: string | null = null;
  if (isRecord(body)) {
    detail = typeof body.error === 'string' && body.error ? body.error : `HTTP ${status}`;
    if (typeof body.code === 'string') code = body.code;
  } else {
    const text = bodyText.slice(0, 200).trim();
    detail = text ? `unexpected answer: ${text}` : `HTTP ${status} with an empty body`;
    body = undefined;
  }

  if (code === 'COMMAND_TIMEOUT' || (status === 504 && isRecord(body) && 'exit_code' in body)) {
    const result = isRecord(body) && 'output' in body ? toResult(body) : null;
    return new CommandTimeoutError(detail, {
      output: result?.output ?? '',
      truncated: result?.truncated ?? false,
      durationMs: result?.durationMs ?? null,
      stateLost: result?.stateLost ?? false,
      execId: result?.execId ?? null,
      result,
    });
  }
  if (code === 'CANCELLED') {
    return new CommandCancelledError(detail, {
      execId: isRecord(body) && typeof body.exec_id === 'string' ? body.exec_id : null,
    });
  }

  const ErrorClass = STATUS_ERRORS[status] ?? APIError;
  let hint: string | undefined = code === null ? undefined : CODE_HINTS[code];
  if (hint === undefined && ErrorClass === NotFoundError && code !== 'SESSION_NOT_FOUND') {
    // The daemon names a missing file or workspace itself; an unknown route means a wrong baseUrl.
    hint =
      code === null || detail.startsWith('no route')
        ? 'Check that baseUrl points at the Sandkasten daemon (for example http://127.0.0.1:8080) and that the id is right'
        : '';
  } else if (hint === undefined && ErrorClass === APIError && code === null) {
    hint = 'Check that baseUrl points at the Sandkasten daemon and not at another server';
  }
  return new ErrorClass(status, code, detail, hint === undefined ? { body } : { body, hint });
}

/** What to do about the daemon's codes that the class's hint does not cover. */
const CODE_HINTS: Record<string, string> = {
  EXEC_NOT_FOUND: 'Check the exec id; a session keeps its queued and running commands and its last 100 finished ones',
  EXEC_FINISHED: 'The command has ended already; session.getExec(id) tells how',
  EXEC_NOT_RUNNING: 'The command is not running (queued, or ended); session.getExec(id) tells its state',
  NO_STDIN: 'Start the command with { stdin: true } to write to its input',
  STDIN_CLOSED: 'The input was closed, or the command has ended',
  STDIN_FULL: 'The command is not reading its input; write again once it reads',
  NO_PTY: 'Start the command with { pty: true } to give it a terminal',
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
