import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';

import {
  APIError,
  CommandCancelledError,
  CommandTimeoutError,
  NotFoundError,
  SandkastenConnectionError,
  StreamError,
} from './errors.js';
import { describe, sleep, type Http } from './http.js';
import type { ExecChunk } from './types.js';
import { createDecoder } from './utf8.js';

/** How much output a {@link CommandTimeoutError} from a stream keeps: the daemon's default `max_output_bytes`. */
const TIMEOUT_OUTPUT_KEEP = 1 << 20;

/** A cancel is a small request to the daemon; it must not hold up the code that leaves a stream. */
const CANCEL_TIMEOUT_MS = 5_000;

/**
 * The most bytes accepted between two complete events: the daemon's largest event is a few
 * MiB, so more means the peer is not a Sandkasten daemon (the Python and Java SDKs use the same
 * limit). Without it the SSE parser would buffer an endless line or event without bound.
 */
export const MAX_EVENT_BYTES = 64 * 1024 * 1024;

/**
 * The SSE parser with a size limit: it counts the bytes fed since the parser last completed an
 * event (or a comment, the daemon's keep-alive) and throws once they pass `max`. Complete
 * events collect in {@link events}, for the caller to take after each {@link feed}.
 */
export class EventFeed {
  readonly events: EventSourceMessage[] = [];
  #pending = 0;
  readonly #parser: EventSourceParser;

  constructor(private readonly max: number = MAX_EVENT_BYTES) {
    this.#parser = createParser({
      onEvent: (event) => {
        this.events.push(event);
        this.#pending = 0;
      },
      onComment: () => {
        this.#pending = 0;
      },
    });
  }

  /** Feeds `text`, decoded from `bytes` bytes of the body. */
  feed(text: string, bytes: number, execId: string | null = null): void {
    this.#pending += bytes;
    this.#parser.feed(text);
    if (this.#pending > this.max) {
      throw new StreamError(
        `an SSE line or event is longer than ${this.max} bytes, so the peer is not a Sandkasten daemon. ` +
          'Check that baseUrl points at the Sandkasten daemon and not at another server',
        { execId },
      );
    }
  }
}

/** How many times in a row a broken stream tries to reconnect before it gives up. */
const RESUME_ATTEMPTS = 6;

/** Wait before reconnect attempt `n` (1-based): 50 ms, doubling, at most 2 s; about 3 s for all six. */
function resumeDelay(n: number): number {
  return Math.min(50 * 2 ** (n - 1), 2_000);
}

/** @internal What opening one connection of a stream needs to know. */
export interface OpenRequest {
  /** True for the very first connection only. */
  first: boolean;
  /** Id of the last event delivered to the consumer; null: none yet. */
  after: number | null;
  /** The command's id, once known. */
  execId: string | null;
  /** Aborts this connection; owned by the stream. */
  controller: AbortController;
  /** The caller's signal. */
  signal: AbortSignal | undefined;
}

/** @internal How an {@link ExecStream} behaves; set by `Session.execStream` and `Session.attach`. */
export interface StreamPlan {
  /** Opens one connection: resolves with the response once its headers are in. */
  open: (request: OpenRequest) => Promise<Response>;
  /** Reconnect after a broken connection (the command outlives it). */
  resume: boolean;
  /** The stream owns the command: leaving it early cancels the command. */
  owner: boolean;
  /** The stream starts after the beginning of the output (so a timeout's `output` lacks the head). */
  partial: boolean;
  signal: AbortSignal | undefined;
}

/**
 * What {@link Session.execStream} and {@link Session.attach} return: an async iterator of the
 * command's chunks, which also knows the command's exec id and can cancel it.
 *
 * A connection that breaks mid-stream is resumed where it broke (unless `execStream` was given
 * `detachGraceMs: 0`), so the consumer gets every byte once and in order. Leaving a `for await` loop early (`break`, `return`, an exception)
 * closes the stream; for `execStream` it also cancels the command on the daemon before the
 * loop statement completes (an attached stream only stops watching).
 *
 * @example
 * const stream = session.execStream('tail -f app.log');
 * for await (const chunk of stream) {
 *   if (chunk.output.includes('ready')) break; // tail is killed here
 * }
 */
export class ExecStream implements AsyncIterable<ExecChunk> {
  readonly #state: StreamState;
  readonly #chunks: AsyncGenerator<ExecChunk, void, undefined>;
  /** The first `next()`, when {@link open} asked for it before the consumer did. */
  #first: Promise<IteratorResult<ExecChunk, void>> | null = null;
  #iterating = false;

  /** @internal Use `Session.execStream` or `Session.attach`. */
  constructor(http: Http, sessionPath: string, execId: string | null, plan: StreamPlan) {
    this.#state = new StreamState(http, sessionPath, execId);
    this.#chunks = run(this.#state, plan);
  }

  /** The daemon's id for the command: for `execStream`, known once the stream has started (see {@link open}). */
  get execId(): string | null {
    return this.#state.execId;
  }

  /**
   * Sends the request, if iterating has not done so yet, and resolves with the command's exec
   * id as soon as the daemon has taken the command, before any output: to write to its input,
   * say. Chunks are not consumed; iterate as usual.
   *
   * @example
   * const stream = session.execStream('read -r name; echo "hi $name"', { stdin: true });
   * await session.writeStdin(await stream.open(), 'Ada\n');
   * for await (const chunk of stream) process.stdout.write(chunk.output); // hi Ada
   * @throws what the first `next()` throws, when the stream fails before the command is known
   */
  async open(): Promise<string> {
    if (this.#state.execId === null) {
      // Once the consumer iterates, its own next() drives the stream; another would take a chunk.
      if (!this.#iterating) this.#first ??= this.#chunks.next();
      await Promise.race([this.#state.known, this.#state.ended, ...(this.#first ? [this.#first] : [])]);
      // A stream that failed first: its own error says why.
      if (this.#state.execId === null && this.#first !== null) await this.#first;
    }
    if (this.#state.execId === null) throw new StreamError('the stream ended before the daemon named the command');
    return this.#state.execId;
  }

  /** The next chunk; see {@link ExecChunk}. */
  next(): Promise<IteratorResult<ExecChunk, void>> {
    this.#iterating = true;
    const first = this.#first;
    if (first !== null) {
      this.#first = null;
      return first;
    }
    return this.#chunks.next();
  }

  /** Closes the stream; for `execStream`, if the command is still running, cancels it on the daemon. Called by `break`. */
  async return(): Promise<IteratorResult<ExecChunk, void>> {
    this.#first = null;
    return this.#chunks.return(undefined);
  }

  /** Closes the stream like {@link return}. */
  async close(): Promise<void> {
    await this.return();
  }

  /**
   * Cancels the command on the daemon; the iteration then throws {@link CommandCancelledError}.
   * Unlike {@link close}, this may be called while another piece of code iterates. Resolves to
   * false if the command has not started or has already finished.
   */
  async cancel(): Promise<boolean> {
    const { execId, finished } = this.#state;
    if (execId === null || finished) return false;
    return this.#state.cancel(execId);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** What one stream knows about its command; shared by the generator and its {@link ExecStream}. */
class StreamState {
  finished = false;
  /** Resolves once the command's exec id is known. */
  readonly known: Promise<void>;
  /** Resolves once the stream has ended, however it ended. */
  readonly ended: Promise<void>;
  #execId: string | null = null;
  #resolveKnown!: () => void;
  #resolveEnded!: () => void;
  private cancelling: Promise<void> | null = null;

  constructor(
    readonly http: Http,
    readonly sessionPath: string,
    execId: string | null,
  ) {
    this.known = new Promise((resolve) => (this.#resolveKnown = resolve));
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.execId = execId;
  }

  /** Called when the stream ends. */
  end(): void {
    this.#resolveEnded();
  }

  get execId(): string | null {
    return this.#execId;
  }

  set execId(id: string | null) {
    this.#execId = id;
    if (id !== null) this.#resolveKnown();
  }

  /** Cancels the command; false if it is not queued or running. */
  async cancel(execId: string, timeoutMs?: number): Promise<boolean> {
    try {
      await this.http.json('DELETE', `${this.sessionPath}/execs/${encodeURIComponent(execId)}`, { timeoutMs });
      return true;
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  /**
   * Asks the daemon to cancel the command, once, without ever throwing: a failed cancel only
   * delays the kill, since the daemon also kills a command whose stream went away, after its
   * detach grace.
   */
  cancelQuietly(): Promise<void> {
    if (this.cancelling === null && this.execId !== null && !this.finished) {
      this.cancelling = this.cancel(this.execId, CANCEL_TIMEOUT_MS).then(
        () => undefined,
        () => undefined,
      );
    }
    return this.cancelling ?? Promise.resolve();
  }
}

/** Why a connection ended before the command did. */
interface Break {
  /** For the error message: what happened to the connection. */
  what: string;
  cause: unknown;
}

/** What the chunks of all connections of one stream share. */
interface Progress {
  /** Id of the last event handled (delivered to the consumer, or consumed, like `start`). */
  lastId: number | null;
  /** False once an event came without an id: the stream cannot be resumed exactly. */
  resumable: boolean;
  /** Bytes arrived since the last (re)connect: a connection that delivers resets the attempt count. */
  received: boolean;
  tail: Tail;
}

async function* run(state: StreamState, plan: StreamPlan): AsyncGenerator<ExecChunk, void, undefined> {
  const { signal } = plan;
  let controller = new AbortController();
  // Cancels on the daemon at once, even if the consumer never calls next() again.
  const onAbort = (): void => {
    controller.abort(signal?.reason);
    if (plan.owner) void state.cancelQuietly();
  };
  const progress: Progress = { lastId: null, resumable: true, received: false, tail: new Tail(TIMEOUT_OUTPUT_KEEP) };
  progress.tail.dropped = plan.partial;
  const consequence = plan.owner ? '; the command was cancelled' : '';

  try {
    signal?.throwIfAborted();
    signal?.addEventListener('abort', onAbort, { once: true });
    let response = await plan.open({ first: true, after: null, execId: state.execId, controller, signal });
    let failures = 0;
    for (;;) {
      // Known before the first event, so a cancel works even if we leave before `start`.
      state.execId ??= response.headers.get('x-exec-id');
      if (signal?.aborted && plan.owner) void state.cancelQuietly();
      progress.received = false;
      const broke = yield* connection(response, controller, state, progress, signal);
      if (broke === null) return;
      if (progress.received) failures = 0;

      if (!plan.resume || !progress.resumable || state.execId === null) {
        throw new StreamError(`${broke.what}. Check that the daemon is still running${consequence}`, {
          execId: state.execId,
          cause: broke.cause,
        });
      }
      // Reconnect, with a growing pause, until a connection opens or the attempts are used up.
      for (;;) {
        failures++;
        if (failures > RESUME_ATTEMPTS) {
          throw new StreamError(
            `${broke.what}, and ${RESUME_ATTEMPTS} attempts to resume the stream failed. ` +
              `Check that the daemon is still running${consequence}`,
            { execId: state.execId, cause: broke.cause },
          );
        }
        await sleep(resumeDelay(failures), signal);
        controller = new AbortController();
        try {
          response = await plan.open({ first: false, after: progress.lastId, execId: state.execId, controller, signal });
          break;
        } catch (e) {
          if (signal?.aborted) throw signal.reason;
          if (!retryable(e)) {
            const code = e instanceof APIError ? e.code : null;
            throw new StreamError(`${broke.what}${consequence}. Resuming the stream failed: ${(e as Error).message}`, {
              code,
              execId: state.execId,
              cause: e,
            });
          }
          broke.cause = e;
        }
      }
    }
  } catch (e) {
    // Whatever broke once the caller aborted, the caller asked for the abort: report that.
    throw signal?.aborted ? signal.reason : e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Drops the connection; after a normal end this is a no-op.
    controller.abort();
    if (plan.owner) await state.cancelQuietly();
    state.end();
  }
}

/** Whether a failed reconnect may succeed later: the network or the daemon's load, not a refusal. */
function retryable(e: unknown): boolean {
  if (e instanceof SandkastenConnectionError) return true;
  return e instanceof APIError && e.status >= 500;
}

/**
 * Reads one connection, yielding its chunks. Returns null after the `done` chunk, or what broke
 * the connection before the command's end; throws on the command's `error` event and on
 * anything that is not a broken connection.
 */
async function* connection(
  response: Response,
  controller: AbortController,
  state: StreamState,
  progress: Progress,
  signal: AbortSignal | undefined,
): AsyncGenerator<ExecChunk, Break | null, undefined> {
  if (response.body === null) throw new StreamError('the daemon answered the stream request without a body');
  const reader = response.body.getReader();
  const decode = createDecoder();
  const feed = new EventFeed();
  const events = feed.events;
  const watchdog = new SilenceWatchdog(state.http.timeoutMs, () => controller.abort());
  const { tail } = progress;

  try {
    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array>;
      watchdog.waiting();
      try {
        read = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (watchdog.fired) {
          return {
            what: `the daemon sent nothing for ${watchdog.ms / 1000} s (it sends a keep-alive every second)`,
            cause: e,
          };
        }
        return { what: `the connection to the daemon broke mid-stream (${describe(e)})`, cause: e };
      }
      watchdog.received();
      if (read.done) {
        feed.feed(decode(new Uint8Array(0), true), 0, state.execId);
      } else {
        progress.received = true;
        feed.feed(decode(read.value), read.value.byteLength, state.execId);
      }

      for (let i = 0; i < events.length; i++) {
        if (signal?.aborted) throw signal.reason;
        const event = events[i]!;
        const eventId = event.id !== undefined && /^\d+$/.test(event.id) ? Number(event.id) : null;
        if (eventId === null) progress.resumable = false;
        switch (event.event) {
          case 'chunk': {
            const data = parseData(event, state);
            const text = typeof data.chunk === 'string' ? data.chunk : '';
            tail.push(text);
            progress.lastId = eventId;
            yield {
              kind: 'output',
              done: false,
              output: text,
              stream: data.stream === 'stderr' ? 'stderr' : 'stdout',
              timestamp: typeof data.timestamp === 'number' ? data.timestamp : Date.now(),
              execId: state.execId,
              eventId,
              gap: null,
              exitCode: null,
              cwd: null,
              durationMs: null,
              stateLost: false,
            };
            break;
          }
          case 'gap': {
            const data = parseData(event, state);
            const from = Number(data.from);
            const to = Number(data.to);
            tail.dropped = true;
            progress.lastId = eventId;
            yield {
              kind: 'gap',
              done: false,
              output: '',
              stream: null,
              timestamp: typeof data.timestamp === 'number' ? data.timestamp : Date.now(),
              execId: state.execId,
              eventId,
              gap: { from, to, bytes: typeof data.bytes === 'number' ? data.bytes : to - from },
              exitCode: null,
              cwd: null,
              durationMs: null,
              stateLost: false,
            };
            break;
          }
          case 'done': {
            const data = parseData(event, state);
            state.finished = true;
            if (typeof data.exec_id === 'string') state.execId = data.exec_id;
            progress.lastId = eventId;
            yield {
              kind: 'done',
              done: true,
              output: '',
              stream: null,
              timestamp: typeof data.timestamp === 'number' ? data.timestamp : Date.now(),
              execId: state.execId,
              eventId,
              gap: null,
              exitCode: typeof data.exit_code === 'number' ? data.exit_code : -1,
              cwd: typeof data.cwd === 'string' ? data.cwd : '',
              durationMs: typeof data.duration_ms === 'number' ? data.duration_ms : 0,
              stateLost: data.state_lost === true,
            };
            return null;
          }
          case 'error': {
            const data = parseData(event, state);
            state.finished = true;
            throw failure(data, state, tail);
          }
          case 'start': {
            const data = parseData(event, state);
            if (typeof data.exec_id === 'string') state.execId = data.exec_id;
            progress.lastId = eventId;
            break;
          }
          default:
            break; // an event type this client does not know: newer daemons may add some
        }
      }
      events.length = 0;

      if (read.done) {
        return { what: 'the stream ended before the command finished (the connection to the daemon closed)', cause: undefined };
      }
    }
  } finally {
    watchdog.stop();
  }
}

type EventData = Record<string, unknown>;

function parseData(event: EventSourceMessage, state: StreamState): EventData {
  let data: unknown;
  try {
    data = JSON.parse(event.data);
  } catch {
    data = undefined;
  }
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as EventData;
  throw new StreamError(
    `the daemon sent a malformed '${event.event ?? 'message'}' event (${event.data.slice(0, 100)}). ` +
      'Check that the SDK and the daemon versions match',
    { execId: state.execId },
  );
}

function failure(data: EventData, state: StreamState, tail: Tail): StreamError {
  const message = typeof data.error === 'string' && data.error ? data.error : 'the command failed';
  const code = typeof data.code === 'string' ? data.code : null;
  const execId = typeof data.exec_id === 'string' ? data.exec_id : state.execId;
  switch (code) {
    case 'COMMAND_TIMEOUT':
      return new CommandTimeoutError(message, {
        output: tail.text(),
        truncated: tail.dropped,
        durationMs: typeof data.duration_ms === 'number' ? data.duration_ms : null,
        stateLost: data.state_lost === true,
        execId,
      });
    case 'CANCELLED':
      return new CommandCancelledError(message, { execId });
    case 'SESSION_GONE':
      return new StreamError(`${message}. Create a new session with client.createSession()`, { code, execId });
    default:
      return new StreamError(message, { code, execId });
  }
}

/**
 * Aborts a stream when no byte arrived for `ms` while the client waited for one; the daemon
 * writes a keep-alive every second, so silence means it or the network is gone. Time the
 * consumer spends between reads does not count. One timer, re-armed only when it fires.
 */
class SilenceWatchdog {
  fired = false;
  private since: number | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly ms: number,
    private readonly onSilence: () => void,
  ) {
    if (ms > 0) this.arm(ms);
  }

  waiting(): void {
    this.since = Date.now();
  }

  received(): void {
    this.since = null;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly check = (): void => {
    const quiet = this.since === null ? 0 : Date.now() - this.since;
    if (quiet >= this.ms) {
      this.fired = true;
      this.onSilence();
      return;
    }
    this.arm(this.ms - quiet);
  };

  private arm(ms: number): void {
    this.timer = setTimeout(this.check, ms);
    // On Node, a watchdog alone must not keep the process alive (a stream left unfinished).
    (this.timer as { unref?: () => void }).unref?.();
  }
}

/**
 * The last `cap` characters (or a little more) of a stream of strings, kept without copying:
 * whole pieces drop off the front, and joining waits until someone asks.
 */
class Tail {
  /** True once some output has been dropped. */
  dropped = false;
  private parts: (string | undefined)[] = [];
  private first = 0;
  private length = 0;

  constructor(private readonly cap: number) {}

  push(s: string): void {
    this.parts.push(s);
    this.length += s.length;
    let head = this.parts[this.first]!;
    while (this.length - head.length >= this.cap) {
      this.length -= head.length;
      this.dropped = true;
      // Dropped pieces must not stay reachable: retained chunks get promoted and cost GC time.
      this.parts[this.first++] = undefined;
      head = this.parts[this.first]!;
    }
    if (this.first >= 64) {
      this.parts = this.parts.slice(this.first);
      this.first = 0;
    }
  }

  text(): string {
    const s = this.parts.slice(this.first).join('');
    if (s.length <= this.cap) return s;
    this.dropped = true;
    return s.slice(s.length - this.cap);
  }
}
