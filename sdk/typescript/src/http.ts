import { SandkastenConnectionError, SandkastenError, errorFromResponse } from './errors.js';
import { toExecResult } from './wire.js';

/** The subset of `fetch` this package calls. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Options of one JSON request. */
export interface JsonOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Give up after this long (default: the client's `timeoutMs`); 0 waits as long as it takes. */
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
  ) {}

  /** A request whose answer is JSON; the timeout covers the whole exchange. */
  async json<T>(method: string, path: string, options: JsonOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const deadline = new Deadline(options.signal, timeoutMs);
    let text: string;
    let status: number;
    try {
      const response = await this.open(method, path, options.body, 'application/json', deadline.signal);
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

  /**
   * A request whose answer is a stream: resolves with the response once its headers are in
   * (within the client's timeout). `controller` aborts the request and later the body; the
   * caller owns it.
   */
  async stream(path: string, body: unknown, controller: AbortController, signal: AbortSignal | undefined): Promise<Response> {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      return await this.open('POST', path, body, 'text/event-stream', controller.signal);
    } catch (e) {
      throw this.failure(e, 'POST', path, signal, expired ? this.timeoutMs : 0);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a request; resolves with a 2xx response, throws the mapped error for any other. */
  private async open(
    method: string,
    path: string,
    body: unknown,
    accept: string,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept };
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await this.fetchImpl(this.baseUrl + path, { method, headers, body: payload, signal });
    if (!response.ok) {
      throw errorFromResponse(response.status, await response.text(), toExecResult);
    }
    return response;
  }

  /**
   * Turns what a request threw into this package's error. An abort by the caller's signal
   * keeps the signal's reason, as `fetch` itself does.
   */
  private failure(e: unknown, method: string, path: string, signal: AbortSignal | undefined, expiredMs: number): unknown {
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
