import { NotFoundError, SandkastenError } from './errors.js';
import { Files } from './files.js';
import { ExecHandle } from './handle.js';
import type { Http } from './http.js';
import { ExecStream, type OpenRequest } from './stream.js';
import type {
  AttachOptions,
  BackgroundExecOptions,
  ExecInfo,
  ExecOptions,
  ExecResult,
  ExecStreamOptions,
  SessionInfo,
  SessionStats,
  SignalName,
} from './types.js';
import { execBody, toBase64, toExecInfo, toExecResult, toSessionInfo, toSessionStats } from './wire.js';

/** Options of the small session requests: a signal to abort them. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/**
 * A command of a session: its exec id, a background command's handle, or a stream whose exec id
 * is known (after `await stream.open()` or its first chunk).
 */
export type ExecRef = string | ExecHandle | ExecStream;

/**
 * A sandbox with a persistent shell: `cd`, variables, functions and background jobs persist
 * between commands. Get one from {@link SandboxClient.createSession} or
 * {@link SandboxClient.getSession}. Commands of one session run one at a time, in the order
 * they were sent (background commands run beside them).
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
  /** The files of the session's `/workspace`. */
  readonly files: Files;
  readonly #http: Http;
  readonly #path: string;

  /** @internal Use `SandboxClient.createSession` or `getSession`. */
  constructor(http: Http, id: string) {
    this.id = id;
    this.#http = http;
    this.#path = `/v1/sessions/${encodeURIComponent(id)}`;
    this.files = new Files(http, this.#path);
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
   * with `done: true` carrying `exitCode`, `cwd` and `durationMs`. A connection that breaks is
   * resumed where it broke (see `detachGraceMs`). Leaving the loop early (`break`, an
   * exception) or aborting `options.signal` cancels the command on the daemon at once; the
   * shell and its state survive.
   *
   * @example
   * for await (const chunk of session.execStream('pip install requests')) {
   *   process.stdout.write(chunk.output);
   *   if (chunk.done) console.log(`\nExit code: ${chunk.exitCode}`);
   * }
   * @throws (while iterating) {CommandTimeoutError} the command ran past `timeoutMs`; `error.output` has what it printed
   * @throws (while iterating) {StreamError} the command was cancelled, its sandbox died, or the connection broke for good
   * @throws (while iterating) {NotFoundError | SessionGoneError | BadRequestError} before any chunk
   */
  execStream(cmd: string, options: ExecStreamOptions = {}): ExecStream {
    checkArguments(cmd, options);
    const grace = options.detachGraceMs ?? this.#http.detachGraceMs;
    const body = {
      ...execBody(cmd, options),
      chunk_size: options.chunkSize,
      stdin: options.stdin,
      detach_grace_ms: grace,
    };
    const http = this.#http;
    const path = this.#path;
    const open = (r: OpenRequest): Promise<Response> =>
      r.first
        ? http.stream('POST', `${path}/exec/stream`, { body }, r.controller, r.signal)
        : http.stream('GET', execPath(path, r.execId!, '/stream'), { headers: resumeHeaders(r.after) }, r.controller, r.signal);
    return new ExecStream(http, path, null, { open, resume: grace > 0, owner: true, partial: false, signal: options.signal });
  }

  /**
   * Streams the output of a command that is queued, running or finished, from the beginning or
   * from just after event id `options.from` (a chunk's `eventId`). Several streams may watch one
   * command; each gets the same chunks. A broken connection is resumed where it broke. Leaving
   * the loop only stops watching: cancel the command with {@link cancel}.
   *
   * @example
   * const job = await session.execBackground('make all');
   * for await (const chunk of session.attach(job)) process.stdout.write(chunk.output);
   * @throws (while iterating) {NotFoundError} no such command (the session keeps the last 100 finished ones)
   * @throws (while iterating) {BadRequestError} `from` lies past the command's output
   */
  attach(exec: ExecRef, options: AttachOptions = {}): ExecStream {
    const execId = execIdOf(exec);
    const { from } = options;
    if (from !== undefined && !(Number.isSafeInteger(from) && from >= 0)) {
      throw new TypeError(`from must be an event id (an integer >= 0) or undefined, got ${String(from)}`);
    }
    positiveInteger('chunkSize', options.chunkSize);
    const http = this.#http;
    const path = execPath(this.#path, execId, '/stream');
    const query = (start: number | undefined): string =>
      queryString({
        from: start,
        encoding: options.encoding,
        raw_output: options.rawOutput,
        chunk_size: options.chunkSize,
      });
    // A resume names its start in Last-Event-ID; `from` would win over the header.
    const open = (r: OpenRequest): Promise<Response> =>
      r.after === null
        ? http.stream('GET', path + query(from), {}, r.controller, r.signal)
        : http.stream('GET', path + query(undefined), { headers: resumeHeaders(r.after) }, r.controller, r.signal);
    return new ExecStream(http, this.#path, execId, {
      open,
      resume: true,
      owner: false,
      partial: from !== undefined && from > 0,
      signal: options.signal,
    });
  }

  /**
   * Starts `cmd` in the background and resolves at once with a handle to it: wait for it, write
   * to its input, signal, cancel or watch it. It starts once the commands queued before it have
   * finished, in a subshell that sees their state (cwd, variables, functions); the session's next
   * commands run beside it. Leaving a stream of it never cancels it.
   *
   * @example
   * const build = await session.execBackground('make > build.log 2>&1');
   * console.log((await session.exec('tail -n 3 build.log')).output); // runs beside it
   * const info = await build.wait();
   * console.log(info.state, info.exitCode); // 'exited' and make's exit status
   */
  async execBackground(cmd: string, options: BackgroundExecOptions = {}): Promise<ExecHandle> {
    checkArguments(cmd, options);
    const json = await this.#http.json<Record<string, unknown>>('POST', `${this.#path}/exec`, {
      body: { ...execBody(cmd, options), background: true, stdin: options.stdin },
      signal: options.signal,
    });
    return new ExecHandle(this, toExecInfo(json).execId);
  }

  /** The session's commands: queued, running, and the last 100 finished ones, oldest first. */
  async listExecs(options: RequestOptions = {}): Promise<ExecInfo[]> {
    const json = await this.#http.json<unknown>('GET', `${this.#path}/execs`, options);
    if (!Array.isArray(json)) {
      throw new SandkastenError(
        `GET ${this.#path}/execs: the answer was not a list; check that baseUrl points at the Sandkasten daemon`,
      );
    }
    return json.map((item) => toExecInfo(item as Record<string, unknown>));
  }

  /**
   * One command's state, exit code and output counts.
   *
   * @throws {NotFoundError} no such command (code `EXEC_NOT_FOUND`)
   */
  async getExec(exec: ExecRef, options: RequestOptions = {}): Promise<ExecInfo> {
    return toExecInfo(await this.#http.json('GET', execPath(this.#path, execIdOf(exec)), options));
  }

  /**
   * Cancels a running or queued command; its whole process tree is killed and the shell and its
   * state survive. Resolves to true if the command was cancelled, false if no such command is
   * queued or running (it finished, or the id is unknown).
   */
  async cancel(exec: ExecRef, options: RequestOptions = {}): Promise<boolean> {
    try {
      await this.#http.json('DELETE', execPath(this.#path, execIdOf(exec)), options);
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  /**
   * Writes to the input of a command started with `stdin: true`: text as UTF-8, bytes as they
   * are (at most 1 MiB per call). Resolves once the daemon has queued the bytes for the
   * command; writes arrive in the order they resolved. `close: true` ends the input after them.
   *
   * @example
   * const job = await session.execBackground('read name; echo "hi $name"', { stdin: true });
   * await session.writeStdin(job, 'Ada\n');
   * @throws {ConflictError} code `NO_STDIN` (not started with `stdin: true`), `STDIN_CLOSED` (input closed or command ended), `STDIN_FULL` (the command does not read)
   * @throws {PayloadTooLargeError} more than 1 MiB in one call
   */
  async writeStdin(exec: ExecRef, data: string | Uint8Array, options: RequestOptions & { close?: boolean } = {}): Promise<void> {
    let body: Record<string, unknown>;
    if (typeof data === 'string') body = { data, encoding: 'utf8' };
    else if (data instanceof Uint8Array) body = { data: toBase64(data), encoding: 'base64' };
    else throw new TypeError(`data must be a string or a Uint8Array, got ${data === null ? 'null' : typeof data}`);
    if (options.close) body.close = true;
    await this.#http.json('POST', execPath(this.#path, execIdOf(exec), '/stdin'), { body, signal: options.signal });
  }

  /**
   * Ends the input of a command started with `stdin: true`: it reads end of file.
   *
   * @throws {ConflictError} code `STDIN_CLOSED` when it was closed already or the command ended
   */
  async closeStdin(exec: ExecRef, options: RequestOptions = {}): Promise<void> {
    await this.#http.json('POST', execPath(this.#path, execIdOf(exec), '/stdin'), {
      body: { close: true },
      signal: options.signal,
    });
  }

  /**
   * Sends a signal to a running command's process tree (never the session's shell). `SIGINT`
   * is Ctrl-C: the program stops, the shell and its state stay. Resolves to the number of
   * processes signalled (0 for a command made only of shell builtins; cancel those instead).
   *
   * @throws {ConflictError} code `EXEC_NOT_RUNNING` when the command is queued or has ended
   * @throws {BadRequestError} an unknown signal name
   */
  async signal(exec: ExecRef, signal: SignalName, options: RequestOptions = {}): Promise<number> {
    if (typeof signal !== 'string' || signal === '') throw new TypeError(`signal must be a name such as 'SIGINT', got '${String(signal)}'`);
    const json = await this.#http.json<Record<string, unknown>>('POST', execPath(this.#path, execIdOf(exec), '/signal'), {
      body: { signal },
      signal: options.signal,
    });
    return typeof json.processes === 'number' ? json.processes : 0;
  }

  /**
   * Changes the terminal size of a running command started with `pty: true`; the program gets
   * `SIGWINCH`.
   *
   * @throws {ConflictError} code `NO_PTY` (no terminal) or `EXEC_NOT_RUNNING` (not running, or its terminal is not open yet)
   */
  async resize(exec: ExecRef, cols: number, rows: number, options: RequestOptions = {}): Promise<void> {
    positiveInteger('cols', cols);
    positiveInteger('rows', rows);
    await this.#http.json('POST', execPath(this.#path, execIdOf(exec), '/resize'), {
      body: { cols, rows },
      signal: options.signal,
    });
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
   * Destroys the session: every process and file of it is gone when this resolves (the files of
   * a workspace it used stay).
   *
   * @throws {SessionGoneError} the session had ended already (destroyed, expired or lost)
   * @throws {NotFoundError} the daemon does not know the session (any more)
   */
  async destroy(options: RequestOptions = {}): Promise<void> {
    await this.#http.json('DELETE', this.#path, options);
  }
}

/** The exec id an {@link ExecRef} names. */
function execIdOf(exec: ExecRef): string {
  if (typeof exec === 'string') {
    if (exec === '') throw new TypeError('the exec id must not be empty');
    return exec;
  }
  if (exec instanceof ExecStream) {
    if (exec.execId === null) {
      throw new TypeError("the stream's command has not started yet: read its first chunk (next()) before using it by id");
    }
    return exec.execId;
  }
  if (exec instanceof ExecHandle) return exec.id;
  throw new TypeError(`expected an exec id, an ExecHandle or an ExecStream, got ${exec === null ? 'null' : typeof exec}`);
}

function execPath(sessionPath: string, execId: string, suffix = ''): string {
  return `${sessionPath}/execs/${encodeURIComponent(execId)}${suffix}`;
}

function resumeHeaders(after: number | null): Record<string, string> {
  return after === null ? {} : { 'last-event-id': String(after) };
}

/** `?a=1&b=2` of the defined values, or the empty string. */
function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined);
  if (pairs.length === 0) return '';
  return `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')}`;
}

function positiveInteger(name: string, value: unknown): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) > 0)) {
    throw new TypeError(`${name} must be a positive integer or undefined, got ${String(value)}`);
  }
}

/** Catches argument mistakes before anything is sent; the daemon checks the rest. */
function checkArguments(cmd: unknown, options: ExecStreamOptions): void {
  if (typeof cmd !== 'string') {
    throw new TypeError(`cmd must be a string of bash source, got ${cmd === null ? 'null' : typeof cmd}`);
  }
  for (const name of ['timeoutMs', 'chunkSize', 'cols', 'rows'] as const) positiveInteger(name, options[name]);
  const grace = options.detachGraceMs;
  if (grace !== undefined && !(Number.isSafeInteger(grace) && grace >= 0)) {
    throw new TypeError(`detachGraceMs must be an integer >= 0 or undefined, got ${String(grace)}`);
  }
}
