import { ConnectionError, SandkastenError, errorFromResponse } from './errors.js';

/** The subset of `fetch` this package calls. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

interface SendOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  accept?: string;
}

/** Authenticated JSON-over-HTTP to one daemon. Internal: not exported from the package. */
export class Http {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly fetchImpl: FetchLike,
  ) {}

  /** Sends a request and returns the response once it is known to be 2xx; throws the mapped error otherwise. */
  async send(method: string, path: string, options: SendOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: options.accept ?? 'application/json',
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body,
        signal: options.signal,
      });
    } catch (e) {
      throw this.fetchFailure(e, options.signal);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw errorFromResponse(response.status, text);
    }
    return response;
  }

  /** Like {@link send}, then parses the JSON body. */
  async json<T>(method: string, path: string, options: SendOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    let text: string;
    try {
      text = await response.text();
    } catch (e) {
      throw this.fetchFailure(e, options.signal);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SandkastenError(
        `${method} ${path} answered ${response.status} with a body that is not JSON; ` +
          `check that ${this.baseUrl} is a Sandkasten daemon`,
      );
    }
  }

  /**
   * Turns what `fetch` threw into this package's error. An abort by the caller's signal keeps
   * the signal's reason, as `fetch` itself does.
   */
  fetchFailure(e: unknown, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return signal.reason;
    if (e instanceof SandkastenError) return e;
    return new ConnectionError(
      `could not reach the Sandkasten daemon at ${this.baseUrl} (${describe(e)}); ` +
        'check that it runs and that baseUrl (or SANDKASTEN_URL) points at it',
      { cause: e },
    );
  }
}

/** The most specific text of a fetch failure: undici hides the socket error in `cause`. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
    if (cause && typeof cause.code === 'string') return cause.code;
    if (cause && typeof cause.message === 'string' && cause.message) return cause.message;
    return e.message;
  }
  return String(e);
}
