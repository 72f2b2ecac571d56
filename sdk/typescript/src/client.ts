import { SandkastenError } from './errors.js';
import { Http, type FetchLike } from './http.js';
import { Session } from './session.js';
import type { CreateSessionOptions } from './types.js';
import { toSessionInfo } from './wire.js';

/** Where the daemon listens when neither `baseUrl` nor `SANDKASTEN_URL` says otherwise. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/** Options of {@link SandboxClient}. */
export interface SandboxClientOptions {
  /** The daemon's address; default `SANDKASTEN_URL`, then `http://127.0.0.1:8080`. */
  baseUrl?: string;
  /** The daemon's API key; default `SANDKASTEN_API_KEY`. */
  apiKey?: string;
  /** A `fetch` to use instead of the global one (a proxy agent, instrumentation, ...). */
  fetch?: FetchLike;
}

/**
 * Entry point: talks to one Sandkasten daemon.
 *
 * @example
 * const client = new SandboxClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: '...' });
 * const session = await client.createSession();
 * const result = await session.exec('echo hello');
 */
export class SandboxClient {
  /** The daemon's address, without a trailing slash. */
  readonly baseUrl: string;
  private readonly http: Http;

  /** @throws {SandkastenError} when no API key is given or the base URL is not an http(s) URL */
  constructor(options: SandboxClientOptions = {}) {
    const baseUrl = (options.baseUrl ?? env('SANDKASTEN_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new SandkastenError(`baseUrl '${baseUrl}' is not a URL; pass one like 'http://127.0.0.1:8080'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SandkastenError(`baseUrl '${baseUrl}' must start with http:// or https://`);
    }
    const apiKey = options.apiKey ?? env('SANDKASTEN_API_KEY');
    if (!apiKey) {
      throw new SandkastenError(
        'no API key: pass { apiKey } or set SANDKASTEN_API_KEY ' +
          '(the daemon prints it on first start and keeps it in <data dir>/api-key)',
      );
    }
    this.baseUrl = baseUrl;
    // Looked up per call, and called unbound from `this`, as browsers require of `fetch`.
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.http = new Http(baseUrl, apiKey, fetchImpl);
  }

  /** Creates a session: a fresh sandbox with its own shell, working directory `/workspace`. */
  async createSession(options: CreateSessionOptions = {}): Promise<Session> {
    const body = {
      image: options.image,
      ttl_seconds: options.ttlSeconds,
      env: options.env,
      labels: options.labels,
      network: options.network,
    };
    const json = await this.http.json<Record<string, unknown>>('POST', '/v1/sessions', {
      body,
      signal: options.signal,
    });
    return new Session(this.http, toSessionInfo(json));
  }

  /**
   * Looks up a session by id. Sessions that ended within the last hour are still found, with
   * status `destroyed`, `expired` or `lost`.
   *
   * @throws {NotFoundError} no such session
   */
  async getSession(id: string, options: { signal?: AbortSignal } = {}): Promise<Session> {
    const json = await this.http.json<Record<string, unknown>>(
      'GET',
      `/v1/sessions/${encodeURIComponent(id)}`,
      options,
    );
    return new Session(this.http, toSessionInfo(json));
  }

  /** The live sessions, oldest first. */
  async listSessions(options: { signal?: AbortSignal } = {}): Promise<Session[]> {
    const json = await this.http.json<unknown>('GET', '/v1/sessions', options);
    if (!Array.isArray(json)) {
      throw new SandkastenError(`GET /v1/sessions answered something other than a list; is ${this.baseUrl} a Sandkasten daemon?`);
    }
    return json.map((item) => new Session(this.http, toSessionInfo(item as Record<string, unknown>)));
  }
}

/** Reads an environment variable where there is a `process` (Node, Deno, Bun); undefined in browsers. */
function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name] || undefined;
}
