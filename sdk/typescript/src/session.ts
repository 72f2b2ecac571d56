import { NotFoundError } from './errors.js';
import type { Http } from './http.js';
import { ExecStream } from './stream.js';
import type { ExecOptions, ExecResult, ExecStreamOptions, SessionInfo, SessionStats } from './types.js';
import { execBody, toExecResult, toSessionInfo, toSessionStats } from './wire.js';

/** Options of the small session requests: a signal to abort them. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/**
 * A sandbox with a persistent shell: `cd`, variables, functions and background jobs persist
 * between commands. Get one from {@link SandboxClient.createSession} or
 * {@link SandboxClient.getSession}. Commands of one session run one at a time, in the order
 * they were sent.
 *
 * @example
 * const session = await client.createSession();
 * await session.exec('cd /tmp && export GREETING=hi');
 * const result = await session.exec('echo $GREETING from $PWD');
 * console.log(result.output); // hi from /tmp
 */
export class Session {
  /** The session id. */
  readonly id: string;
  readonly #http: Http;
  readonly #path: string;

  /** @internal Use `SandboxClient.createSession` or `getSession`. */
  constructor(http: Http, id: string) {
    this.id = id;
    this.#http = http;
    this.#path = `/v1/sessions/${encodeURIComponent(id)}`;
  }

  /**
   * Runs `cmd` in the session's shell and waits for it to finish. A non-zero exit code is not
   * an error: look at `result.exitCode`.
   *
   * The request waits as long as the command may run. On Node, `fetch` gives up on a response
   * that takes over 5 minutes; use {@link execStream} for commands that run longer.
   *
   * @example
   * const result = await session.exec('ls /workspace && python3 --version');
   * console.log(result.exitCode, result.output);
   * @throws {CommandTimeoutError} the command ran past `timeoutMs`; `error.output` has what it printed
   * @throws {NotFoundError | SessionGoneError} the session does not exist (any more)
   */
  async exec(cmd: string, options: ExecOptions = {}): Promise<ExecResult> {
    checkArguments(cmd, options);
    const json = await this.#http.json<Record<string, unknown>>('POST', `${this.#path}/exec`, {
      body: execBody(cmd, options),
      signal: options.signal,
      timeoutMs: 0, // the daemon enforces the command's own timeout
    });
    return toExecResult(json);
  }

  /**
   * Runs `cmd` and iterates over its output as the program writes it: output chunks, then one
   * with `done: true` carrying `exitCode`, `cwd` and `durationMs`. Leaving the loop early
   * (`break`, an exception) or aborting `options.signal` cancels the command on the daemon at
   * once; the shell and its state survive.
   *
   * @example
   * for await (const chunk of session.execStream('pip install requests')) {
   *   process.stdout.write(chunk.output);
   *   if (chunk.done) console.log(`\nExit code: ${chunk.exitCode}`);
   * }
   * @throws (while iterating) {CommandTimeoutError} the command ran past `timeoutMs`; `error.output` has what it printed
   * @throws (while iterating) {StreamError} the command was cancelled, its sandbox died, or the connection broke
   * @throws (while iterating) {NotFoundError | SessionGoneError | BadRequestError} before any chunk
   */
  execStream(cmd: string, options: ExecStreamOptions = {}): ExecStream {
    checkArguments(cmd, options);
    return new ExecStream(this.#http, this.#path, cmd, options, (execId) => this.cancel(execId));
  }

  /**
   * Cancels a running or queued command by its exec id; its whole process tree is killed and
   * the shell and its state survive. Resolves to true if the command was cancelled, false if no
   * such command is queued or running (it finished, or the id is unknown).
   */
  async cancel(execId: string, options: RequestOptions = {}): Promise<boolean> {
    try {
      await this.#http.json('DELETE', `${this.#path}/execs/${encodeURIComponent(execId)}`, options);
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  /** Memory, CPU and process counts of the session's sandbox. */
  async stats(options: RequestOptions = {}): Promise<SessionStats> {
    return toSessionStats(await this.#http.json('GET', `${this.#path}/stats`, options));
  }

  /** The session's current state: status, cwd, lease. */
  async info(options: RequestOptions = {}): Promise<SessionInfo> {
    return toSessionInfo(await this.#http.json('GET', this.#path, options));
  }

  /**
   * Destroys the session: every process and file of it is gone when this resolves.
   *
   * @throws {SessionGoneError} the session had ended already (destroyed, expired or lost)
   * @throws {NotFoundError} the daemon does not know the session (any more)
   */
  async destroy(options: RequestOptions = {}): Promise<void> {
    await this.#http.json('DELETE', this.#path, options);
  }

  // File routes (write, read, upload) join here once the daemon serves /fs/*.
}

/** Catches argument mistakes before anything is sent; the daemon checks the rest. */
function checkArguments(cmd: unknown, options: ExecStreamOptions): void {
  if (typeof cmd !== 'string') {
    throw new TypeError(`cmd must be a string of bash source, got ${cmd === null ? 'null' : typeof cmd}`);
  }
  for (const name of ['timeoutMs', 'chunkSize'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new TypeError(`${name} must be a positive integer or undefined, got ${String(value)}`);
    }
  }
}
