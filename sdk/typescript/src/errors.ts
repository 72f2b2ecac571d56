/** Base class of every error this package throws (argument `TypeError`s aside). */
export class SandkastenError extends Error {
  static {
    this.prototype.name = 'SandkastenError';
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The daemon could not be reached, or the connection broke before an answer came. */
export class ConnectionError extends SandkastenError {
  static {
    this.prototype.name = 'ConnectionError';
  }
}

/** The daemon answered a request with an HTTP error. */
export class APIError extends SandkastenError {
  static {
    this.prototype.name = 'APIError';
  }
  /** HTTP status. */
  readonly status: number;
  /** The daemon's machine code (`SESSION_NOT_FOUND`, ...), or `HTTP_<status>` when it sent none. */
  readonly code: string;
  /** The parsed JSON error body, when there was one. */
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** 401: the API key is missing or wrong. */
export class AuthenticationError extends APIError {
  static {
    this.prototype.name = 'AuthenticationError';
  }
}

/** 404: no such session (or exec, or route). */
export class NotFoundError extends APIError {
  static {
    this.prototype.name = 'NotFoundError';
  }
}

/** 409: the request conflicts with the state of the session, e.g. a blocking exec was cancelled. */
export class ConflictError extends APIError {
  static {
    this.prototype.name = 'ConflictError';
  }
}

/** 410: the session was destroyed, expired, or lost its sandbox. Create a new one. */
export class SessionGoneError extends APIError {
  static {
    this.prototype.name = 'SessionGoneError';
  }
}

/** 400, 413, 415: the daemon rejected the request as malformed, out of range or too large. */
export class InvalidRequestError extends APIError {
  static {
    this.prototype.name = 'InvalidRequestError';
  }
}

/** 503: the daemon cannot take the request now (session limit reached, sandbox failed to start). */
export class UnavailableError extends APIError {
  static {
    this.prototype.name = 'UnavailableError';
  }
}

/** 500 and other 5xx: a fault in the daemon; its log has the details. */
export class InternalServerError extends APIError {
  static {
    this.prototype.name = 'InternalServerError';
  }
}

/** Fields a {@link StreamError} carries about the command it interrupted. */
export interface StreamErrorDetails {
  /** Machine code: `COMMAND_TIMEOUT`, `CANCELLED`, `SESSION_GONE`, `STREAM_ENDED`, `PROTOCOL_ERROR`, ... */
  code: string;
  execId?: string | null;
  /** Output received before the error (for streams: at most the last 1 MiB). */
  output?: string;
  stdout?: string | null;
  stderr?: string | null;
  durationMs?: number | null;
  stateLost?: boolean;
  cause?: unknown;
}

/** A command ended without a result: an `error` event on a stream, or a stream that broke off. */
export class StreamError extends SandkastenError {
  static {
    this.prototype.name = 'StreamError';
  }
  readonly code: string;
  readonly execId: string | null;
  /** Output received before the error (for streams: at most the last 1 MiB of it). */
  readonly output: string;
  /** stdout part of {@link output}, when known. */
  readonly stdout: string | null;
  /** stderr part of {@link output}, when known. */
  readonly stderr: string | null;
  readonly durationMs: number | null;
  /** True when the shell itself had to be replaced (its `cd`, exports and functions are gone). */
  readonly stateLost: boolean;

  constructor(message: string, details: StreamErrorDetails) {
    super(message, { cause: details.cause });
    this.code = details.code;
    this.execId = details.execId ?? null;
    this.output = details.output ?? '';
    this.stdout = details.stdout ?? null;
    this.stderr = details.stderr ?? null;
    this.durationMs = details.durationMs ?? null;
    this.stateLost = details.stateLost ?? false;
  }
}

/**
 * The command ran past its timeout and the daemon killed its processes; the session is ready
 * for the next command. Thrown by `execStream` and by blocking `exec` (HTTP 504) alike.
 */
export class CommandTimeoutError extends StreamError {
  static {
    this.prototype.name = 'CommandTimeoutError';
  }
}

const HINTS: Record<number, string> = {
  401: 'check the API key (the apiKey option or SANDKASTEN_API_KEY)',
  410: 'create a new session',
  503: 'retry later, or destroy sessions you no longer need',
  500: 'the daemon log has the details',
};

/** Builds the error for a non-2xx answer from its status and (possibly non-JSON) body text. */
export function errorFromResponse(status: number, bodyText: string): SandkastenError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof fields.code === 'string' ? fields.code : `HTTP_${status}`;
  let message =
    typeof fields.error === 'string'
      ? fields.error
      : `HTTP ${status} ${bodyText.trim().slice(0, 200) || '(empty body)'}`;
  const hint = HINTS[status];
  if (hint && !message.includes(hint)) message = `${message}; ${hint}`;
  message = `${message} [${status} ${code}]`;

  if (status === 504 && code === 'COMMAND_TIMEOUT') {
    return new CommandTimeoutError(message, {
      code,
      execId: str(fields.exec_id),
      output: str(fields.output) ?? '',
      stdout: str(fields.stdout),
      stderr: str(fields.stderr),
      durationMs: num(fields.duration_ms),
      stateLost: fields.state_lost === true,
    });
  }
  switch (status) {
    case 400:
    case 413:
    case 415:
      return new InvalidRequestError(status, code, message, body);
    case 401:
      return new AuthenticationError(status, code, message, body);
    case 404:
      return new NotFoundError(status, code, message, body);
    case 409:
      return new ConflictError(status, code, message, body);
    case 410:
      return new SessionGoneError(status, code, message, body);
    case 503:
      return new UnavailableError(status, code, message, body);
    default:
      if (status >= 500) return new InternalServerError(status, code, message, body);
      return new APIError(status, code, message, body);
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}
