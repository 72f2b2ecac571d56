import { SandkastenConnectionError, SandkastenError, errorFromResponse } from './errors.js';
import { toExecResult } from './wire.js';

/** The subset of `fetch` this package calls. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Options of one request whose answer is JSON. */
export interface JsonOptions {
  /** A JSON body. */
  body?: unknown;
  /** A raw body instead, sent as `application/octet-stream` (a ReadableStream is streamed). */
  raw?: RawBody;
  signal?: AbortSignal | undefined;
  /** Give up after this long (default: the client's `timeoutMs`); 0 waits as long as it takes. */
  timeoutMs?: number;
}

/** What a raw request body may be. */
export type RawBody = string | Uint8Array | Blob | ReadableStream<Uint8Array>;

/** Options of a request whose answer is read as a stream. */
export interface StreamRequest {
  /** A JSON body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The `Accept` header; default `text/event-stream`. */
  accept?: string;
  /** How long to wait for the answer's headers; default the client's `timeoutMs`, 0 for no limit. */
  timeoutMs?: number;
}

/** Authenticated HTTP to one daemon. Internal: not exported from the package. */
export class Http {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly fetchImpl: FetchLike,
    /** The client's `timeoutMs`. */
    readonly timeoutMs: number,
    /** The client's default `detachGraceMs` for streaming exec. */
    readonly detachGraceMs: number,
  ) {}

  /** A request whose answer is JSON; the timeout covers the whole exchange. */
  async json<T>(method: string, path: string, options: JsonOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const deadline = new Deadline(options.signal, timeoutMs);
    let text: string;
    let status: number;
    try {
      const response = await this.open(method, path, options, 'application/json', deadline.signal);
      status = response.status;
      text = await response.text();
    } catch (e) {
      throw this.failure(e, method, path, options.signal, deadline.expired ? timeoutMs : 0);
    } finally {
      deadline.clear();
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SandkastenError(
        `${method} ${path}: the answer (HTTP ${status}) was not JSON; check that baseUrl points at the Sandkasten daemon`,
      );
    }
  }

  /** A request whose answer is read whole as bytes; the timeout covers the whole exchange. */
  async bytes(method: string, path: string, options: JsonOptions = {}): Promise<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const deadline = new Deadline(options.signal, timeoutMs);
    try {
      const response = await this.open(method, path, options, '*/*', deadline.signal);
      return new Uint8Array(await response.arrayBuffer());
    } catch (e) {
      throw this.failure(e, method, path, options.signal, deadline.expired ? timeoutMs : 0);
    } finally {
      deadline.clear();
    }
  }

  /**
   * A request whose answer is a stream: resolves with the response once its headers are in
   * (within the client's timeout). `controller` aborts the request and later the body; the
   * caller owns it. `signal` is the caller's, whose reason an abort rejects with.
   */
  async stream(
    method: string,
    path: string,
    request: StreamRequest,
    controller: AbortController,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    let expired = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            expired = true;
            controller.abort();
          }, timeoutMs)
        : undefined;
    try {
      return await this.open(
        method,
        path,
        { body: request.body, headers: request.headers },
        request.accept ?? 'text/event-stream',
        controller.signal,
      );
    } catch (e) {
      throw this.failure(e, method, path, signal, expired ? timeoutMs : 0);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a request; resolves with a 2xx response, throws the mapped error for any other. */
  private async open(
    method: string,
    path: string,
    options: { body?: unknown; raw?: RawBody | undefined; headers?: Record<string, string> | undefined },
    accept: string,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers, authorization: `Bearer ${this.apiKey}`, accept };
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal };
    if (options.raw !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      // TypeScript refuses Uint8Array<ArrayBufferLike> as a BodyInit (it might view shared memory); fetch takes it.
      init.body = options.raw as BodyInit;
      // Required by fetch for a streamed request body: the answer comes after the whole body.
      if (typeof ReadableStream !== 'undefined' && options.raw instanceof ReadableStream) init.duplex = 'half';
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    const response = await this.fetchImpl(this.baseUrl + path, init);
    if (!response.ok) {
      throw errorFromResponse(response.status, await response.text(), toExecResult);
    }
    return response;
  }

  /**
   * Turns what a request threw into this package's error. An abort by the caller's signal
   * keeps the signal's reason, as `fetch` itself does.
   */
  failure(e: unknown, method: string, path: string, signal: AbortSignal | undefined, expiredMs: number): unknown {
    if (signal?.aborted) return signal.reason;
    if (e instanceof SandkastenError) return e;
    const code = describe(e);
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      // Node's fetch (undici) gives up on an answer that takes over 5 minutes: that is the
      // client's own limit, not the daemon's, and a blocking exec's command runs on regardless.
      return new SandkastenConnectionError(
        `${method} ${path}: Node's fetch gave up waiting for the answer (${code}, undici's 5-minute ` +
          'headersTimeout/bodyTimeout); the daemon is reachable and the command still runs there. ' +
          'Use session.execStream() for long commands, or pass new SandboxClient({ fetch }) with a fetch ' +
          "that uses an undici Agent with headersTimeout: 0 and bodyTimeout: 0",
        { cause: e },
      );
    }
    if (expiredMs > 0) {
      return new SandkastenConnectionError(
        `${method} ${path}: the daemon at ${this.baseUrl} did not answer within ${expiredMs / 1000} s. ` +
          'Check that it is running and not overloaded, or raise new SandboxClient({ timeoutMs })',
        { cause: e },
      );
    }
    return new SandkastenConnectionError(
      `could not reach the Sandkasten daemon at ${this.baseUrl} (${describe(e)}). ` +
        'Check that it is running (./sandkasten serve) and that baseUrl / SANDKASTEN_URL is right',
      { cause: e },
    );
  }
}

/**
 * A signal that aborts when the caller's signal does or when `ms` have passed (Node 18 lacks
 * `AbortSignal.any`, so the two are joined by hand). `clear()` undoes the join.
 */
class Deadline {
  readonly signal: AbortSignal | undefined;
  expired = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unlink: (() => void) | undefined;

  constructor(outer: AbortSignal | undefined, ms: number) {
    if (ms <= 0) {
      this.signal = outer;
      return;
    }
    const controller = new AbortController();
    this.signal = controller.signal;
    this.timer = setTimeout(() => {
      this.expired = true;
      controller.abort();
    }, ms);
    if (outer) {
      const onAbort = (): void => controller.abort(outer.reason);
      if (outer.aborted) onAbort();
      outer.addEventListener('abort', onAbort, { once: true });
      this.unlink = () => outer.removeEventListener('abort', onAbort);
    }
  }

  clear(): void {
    clearTimeout(this.timer);
    this.unlink?.();
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The most specific text of a fetch failure: undici hides the socket error in `cause`. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
    if (cause && typeof cause.code === 'string') return cause.code;
    if (cause && typeof cause.message === 'string' && cause.message) return cause.message;
    return `${e.name}: ${e.message}`;
  }
  return String(e);
}
