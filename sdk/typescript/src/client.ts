import { SandkastenError } from './errors.js';
import { Http, type FetchLike } from './http.js';
import { Session, type RequestOptions } from './session.js';
import type { CreateSessionOptions, SessionInfo, WorkspaceInfo } from './types.js';
import { toSessionInfo, toWorkspaceInfo } from './wire.js';
import { checkWorkspaceId, Workspace } from './workspace.js';

/**
 * Where the daemon listens when neither `baseUrl` nor `SANDKASTEN_URL` says otherwise. An IP
 * rather than `localhost`: Node 18 may resolve that to `::1`, where the daemon does not listen.
 */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/** Options of {@link SandboxClient}. */
export interface SandboxClientOptions {
  /** The daemon's URL; default `SANDKASTEN_URL`, then `http://127.0.0.1:8080`. */
  baseUrl?: string;
  /** The daemon's API key; default `SANDKASTEN_API_KEY`. */
  apiKey?: string;
  /**
   * Milliseconds to wait for the daemon on ordinary requests, and the longest silence
   * tolerated inside a stream (the daemon sends a keep-alive every second). A blocking `exec`
   * waits as long as its command may run. Default 120000.
   */
  timeoutMs?: number;
  /**
   * How long a streaming command outlives a broken connection, in milliseconds, so that
   * `execStream` can resume where it broke; each call may set its own. `0` turns resuming off.
   * Default 30000.
   */
  detachGraceMs?: number;
  /** A `fetch` to use instead of the global one (a proxy agent, instrumentation, ...). */
  fetch?: FetchLike;
}

/**
 * Client of a Sandkasten daemon.
 *
 * @example
 * const client = new SandboxClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: '...' });
 * const session = await client.createSession();
 * const result = await session.exec('echo hello');
 * console.log(result.output); // hello
 */
export class SandboxClient {
  /** The daemon's URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly #http: Http;

  /** @throws {TypeError} no API key was given or found, or `baseUrl` is not an http(s) URL */
  constructor(options: SandboxClientOptions = {}) {
    const baseUrl = (options.baseUrl ?? env('SANDKASTEN_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new TypeError(`baseUrl must be an http(s) URL such as 'http://127.0.0.1:8080', got '${baseUrl}'`);
    }
    const apiKey = options.apiKey ?? env('SANDKASTEN_API_KEY');
    if (!apiKey) {
      throw new TypeError(
        'no API key: pass new SandboxClient({ apiKey }) or set SANDKASTEN_API_KEY; the daemon prints a ' +
          'generated key on its first start and stores it in <data dir>/api-key',
      );
    }
    const timeoutMs = options.timeoutMs ?? 120_000;
    if (!(timeoutMs > 0)) throw new TypeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
    const detachGraceMs = options.detachGraceMs ?? 30_000;
    if (!(Number.isSafeInteger(detachGraceMs) && detachGraceMs >= 0)) {
      throw new TypeError(`detachGraceMs must be an integer >= 0, got ${detachGraceMs}`);
    }
    this.baseUrl = baseUrl;
    // Looked up per call, and called unbound from any object, as browsers require of `fetch`.
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#http = new Http(baseUrl, apiKey, fetchImpl, timeoutMs, detachGraceMs);
  }

  /**
   * Creates a session: a fresh sandbox with its own persistent shell, in `/workspace`.
   *
   * @example
   * const session = await client.createSession({ image: 'python', env: { LANG: 'C.UTF-8' } });
   */
  async createSession(options: CreateSessionOptions = {}): Promise<Session> {
    const body = {
      image: options.image,
      ttl_seconds: options.ttlSeconds,
      workspace_id: options.workspaceId,
      env: options.env,
      labels: options.labels,
      network: options.network,
    };
    const json = await this.#http.json<Record<string, unknown>>('POST', '/v1/sessions', {
      body,
      signal: options.signal,
    });
    return new Session(this.#http, String(json.id));
  }

  /**
   * Attaches to an existing session by id, checking that it exists.
   *
   * @throws {NotFoundError} no session has that id
   */
  async getSession(id: string, options: RequestOptions = {}): Promise<Session> {
    if (typeof id !== 'string' || id === '') throw new TypeError(`id must be a non-empty string, got '${id}'`);
    const json = await this.#http.json<Record<string, unknown>>('GET', `/v1/sessions/${encodeURIComponent(id)}`, options);
    return new Session(this.#http, String(json.id));
  }

  /** The live sessions, oldest first. */
  async listSessions(options: RequestOptions = {}): Promise<SessionInfo[]> {
    const json = await this.#http.json<unknown>('GET', '/v1/sessions', options);
    if (!Array.isArray(json)) {
      throw new SandkastenError(
        `GET /v1/sessions: the answer was not a list; check that baseUrl points at the Sandkasten daemon`,
      );
    }
    return json.map((item) => toSessionInfo(item as Record<string, unknown>));
  }

  /**
   * A persistent workspace by id, to use its files without a session. Nothing is sent: writing
   * a file creates the workspace, as does a session created with `{ workspaceId }`.
   *
   * @throws {TypeError} the id is not 1 to 64 letters, digits, `_`, `-` and `.`, starting with a letter or digit
   */
  workspace(id: string): Workspace {
    return new Workspace(this.#http, checkWorkspaceId(id));
  }

  /** The persistent workspaces, oldest first. */
  async listWorkspaces(options: RequestOptions = {}): Promise<WorkspaceInfo[]> {
    const json = await this.#http.json<Record<string, unknown>>('GET', '/v1/workspaces', options);
    if (!Array.isArray(json.workspaces)) {
      throw new SandkastenError(
        `GET /v1/workspaces: the answer had no list of workspaces; check that baseUrl points at the Sandkasten daemon`,
      );
    }
    return json.workspaces.map((item) => toWorkspaceInfo(item as Record<string, unknown>));
  }

  /**
   * Deletes a workspace and all its files.
   *
   * @throws {NotFoundError} there is no such workspace
   * @throws {ConflictError} a live session uses it
   */
  async deleteWorkspace(id: string, options: RequestOptions = {}): Promise<void> {
    await this.workspace(id).delete(options);
  }
}

/** An environment variable where there is a `process` (Node, Deno, Bun); undefined in browsers. */
function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name] || undefined;
}
