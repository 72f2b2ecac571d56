import { NotFoundError, SessionGoneError } from './errors.js';
import type { Http } from './http.js';
import { streamExec } from './stream.js';
import type {
  ExecChunk,
  ExecOptions,
  ExecResult,
  ExecStreamOptions,
  SessionInfo,
  SessionStats,
} from './types.js';
import { execBody, toExecResult, toSessionInfo, toSessionStats } from './wire.js';

/**
 * One sandbox holding a persistent shell: `cd`, exports, functions and background jobs
 * persist between commands. Get one from {@link SandboxClient.createSession} or
 * {@link SandboxClient.getSession}.
 */
export class Session {
  /** Session id. */
  readonly id: string;
  private _info: SessionInfo;
  private readonly path: string;

  /** @internal Use `SandboxClient.createSession` or `getSession`. */
  constructor(
    private readonly http: Http,
    info: SessionInfo,
  ) {
    this.id = info.id;
    this._info = info;
    this.path = `/v1/sessions/${encodeURIComponent(info.id)}`;
  }

  /** The session as last seen by this client; {@link refresh} fetches it anew. */
  get info(): SessionInfo {
    return this._info;
  }

  /**
   * Runs a command and resolves when it has ended, with all its output.
   * A non-zero exit code is a result, not an error.
   *
   * @throws {CommandTimeoutError} the command outran its timeout (the error carries the partial output)
   * @throws {SessionGoneError} the session was destroyed, expired or lost its sandbox
   */
  async exec(cmd: string, options: ExecOptions = {}): Promise<ExecResult> {
    checkCommand(cmd);
    const json = await this.http.json<Record<string, unknown>>('POST', `${this.path}/exec`, {
      body: execBody(cmd, options),
      signal: options.signal,
    });
    return toExecResult(json);
  }

  /**
   * Runs a command and yields its output as the program writes it, then one last chunk with
   * `done: true` and the exit code.
   *
   * Leaving the loop early (`break`, `return`, an exception) or aborting `options.signal`
   * cancels the command on the daemon at once; the shell and its state survive.
   *
   * @example
   * for await (const chunk of session.execStream('make')) {
   *   process.stdout.write(chunk.output);
   *   if (chunk.done) console.log(`exit ${chunk.exitCode}`);
   * }
   * @throws {CommandTimeoutError} the command outran its timeout (carries the last output received)
   * @throws {StreamError} the daemon reported an error, or the stream broke off
   */
  execStream(cmd: string, options: ExecStreamOptions = {}): AsyncGenerator<ExecChunk, void, undefined> {
    checkCommand(cmd);
    return streamExec(this.http, this.path, cmd, options);
  }

  /**
   * Cancels a running or queued command by its exec id (from a chunk or an error), killing its
   * whole process tree; the shell and its state survive. Resolves to false when the command was
   * not running (any more).
   */
  async cancelExec(execId: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    try {
      await this.http.send('DELETE', `${this.path}/execs/${encodeURIComponent(execId)}`, options);
      return true;
    } catch (e) {
      // The daemon answers 404 for an exec that is not running, whatever code it gives with it.
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  /** Fetches the session's current state (status, cwd, lease). */
  async refresh(options: { signal?: AbortSignal } = {}): Promise<SessionInfo> {
    this._info = toSessionInfo(await this.http.json('GET', this.path, options));
    return this._info;
  }

  /** Memory, CPU and process figures of the sandbox. */
  async stats(options: { signal?: AbortSignal } = {}): Promise<SessionStats> {
    return toSessionStats(await this.http.json('GET', `${this.path}/stats`, options));
  }

  /**
   * Destroys the sandbox and everything in it. Destroying a session that is already gone is
   * not an error, so this is safe in `finally` blocks.
   */
  async destroy(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.http.send('DELETE', this.path, options);
    } catch (e) {
      if (e instanceof SessionGoneError || e instanceof NotFoundError) return;
      throw e;
    }
  }
}

function checkCommand(cmd: unknown): void {
  if (typeof cmd !== 'string') {
    throw new TypeError(`cmd must be a string of bash source, got ${cmd === null ? 'null' : typeof cmd}`);
  }
}
