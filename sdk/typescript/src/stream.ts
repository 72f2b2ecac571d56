import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';

import { CommandCancelledError, CommandTimeoutError, StreamError } from './errors.js';
import { describe, type Http } from './http.js';
import type { ExecChunk, ExecStreamOptions } from './types.js';
import { createDecoder } from './utf8.js';
import { execBody } from './wire.js';

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

/**
 * What {@link Session.execStream} returns: an async iterator of the command's chunks, which
 * also knows the command's exec id and can cancel it.
 *
 * Leaving a `for await` loop early (`break`, `return`, an exception) closes the stream and
 * cancels the command on the daemon before the loop statement completes.
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
  readonly #cancel: (execId: string) => Promise<boolean>;

  /** @internal Use `Session.execStream`; `cancel` is the session's own. */
  constructor(
    http: Http,
    sessionPath: string,
    cmd: string,
    options: ExecStreamOptions,
    cancel: (execId: string) => Promise<boolean>,
  ) {
    this.#state = new StreamState(http, sessionPath);
    this.#chunks = run(this.#state, cmd, options);
    this.#cancel = cancel;
  }

  /** The daemon's id for the command, known once the stream has started (after the first `next()`). */
  get execId(): string | null {
    return this.#state.execId;
  }

  /** The next chunk; see {@link ExecChunk}. */
  next(): Promise<IteratorResult<ExecChunk, void>> {
    return this.#chunks.next();
  }

  /** Closes the stream; if the command is still running, cancels it on the daemon. Called by `break`. */
  async return(): Promise<IteratorResult<ExecChunk, void>> {
    return this.#chunks.return(undefined);
  }

  /** Closes the stream like {@link return}. */
  async close(): Promise<void> {
    await this.#chunks.return(undefined);
  }

  /**
   * Cancels the command on the daemon; the iteration then throws {@link CommandCancelledError}.
   * Unlike {@link close}, this may be called while another piece of code iterates. Resolves to
   * false if the command has not started or has already finished.
   */
  async cancel(): Promise<boolean> {
    const { execId, finished } = this.#state;
    if (execId === null || finished) return false;
    return this.#cancel(execId);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** What one stream knows about its command; shared by the generator and its {@link ExecStream}. */
class StreamState {
  execId: string | null = null;
  finished = false;
  private cancelling: Promise<void> | null = null;

  constructor(
    readonly http: Http,
    readonly sessionPath: string,
  ) {}

  /**
   * Asks the daemon to cancel the command, once, without ever throwing: a failed cancel only
   * delays the kill, since the daemon also kills a command whose stream disconnected.
   */
  cancelQuietly(): Promise<void> {
    if (this.cancelling === null && this.execId !== null && !this.finished) {
      this.cancelling = this.http
        .json('DELETE', `${this.sessionPath}/execs/${encodeURIComponent(this.execId)}`, {
          timeoutMs: CANCEL_TIMEOUT_MS,
        })
        .then(
          () => undefined,
          () => undefined,
        );
    }
    return this.cancelling ?? Promise.resolve();
  }
}

async function* run(
  state: StreamState,
  cmd: string,
  options: ExecStreamOptions,
): AsyncGenerator<ExecChunk, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();

  const controller = new AbortController();
  // Cancels on the daemon at once, even if the consumer never calls next() again.
  const onAbort = (): void => {
    controller.abort(signal?.reason);
    void state.cancelQuietly();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const watchdog = new SilenceWatchdog(state.http.timeoutMs, () => controller.abort());
  const tail = new Tail(TIMEOUT_OUTPUT_KEEP);

  try {
    const response = await state.http.stream(
      `${state.sessionPath}/exec/stream`,
      { ...execBody(cmd, options), chunk_size: options.chunkSize },
      controller,
      signal,
    );
    // Known before the first event, so a cancel works even if we leave before `start`.
    state.execId = response.headers.get('x-exec-id');
    if (signal?.aborted) void state.cancelQuietly();
    if (response.body === null) throw new StreamError('the daemon answered the stream request without a body');

    const reader = response.body.getReader();
    const decode = createDecoder();
    const feed = new EventFeed();
    const events = feed.events;

    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array>;
      watchdog.waiting();
      try {
        read = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (watchdog.fired) {
          throw new StreamError(
            `the daemon sent nothing for ${watchdog.ms / 1000} s (it sends a keep-alive every second). ` +
              'Check that it is still running; the command was cancelled',
            { execId: state.execId, cause: e },
          );
        }
        throw new StreamError(
          `the connection to the daemon broke mid-stream (${describe(e)}). ` +
            'Check that the daemon is still running; the command was cancelled',
          { execId: state.execId, cause: e },
        );
      }
      watchdog.received();
      if (read.done) feed.feed(decode(new Uint8Array(0), true), 0, state.execId);
      else feed.feed(decode(read.value), read.value.byteLength, state.execId);

      for (let i = 0; i < events.length; i++) {
        if (signal?.aborted) throw signal.reason;
        const event = events[i]!;
        switch (event.event) {
          case 'chunk': {
            const data = parseData(event, state);
            const text = typeof data.chunk === 'string' ? data.chunk : '';
            tail.push(text);
            yield {
              done: false,
              output: text,
              stream: data.stream === 'stderr' ? 'stderr' : 'stdout',
              timestamp: typeof data.timestamp === 'number' ? data.timestamp : Date.now(),
              execId: state.execId,
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
            yield {
              done: true,
              output: '',
              stream: null,
              timestamp: typeof data.timestamp === 'number' ? data.timestamp : Date.now(),
              execId: state.execId,
              exitCode: typeof data.exit_code === 'number' ? data.exit_code : -1,
              cwd: typeof data.cwd === 'string' ? data.cwd : '',
              durationMs: typeof data.duration_ms === 'number' ? data.duration_ms : 0,
              stateLost: data.state_lost === true,
            };
            return;
          }
          case 'error': {
            const data = parseData(event, state);
            state.finished = true;
            throw failure(data, state, tail);
          }
          case 'start': {
            const data = parseData(event, state);
            if (typeof data.exec_id === 'string') state.execId = data.exec_id;
            if (signal?.aborted) void state.cancelQuietly();
            break;
          }
          default:
            break; // an event type this client does not know: newer daemons may add some
        }
      }
      events.length = 0;

      if (read.done) {
        throw new StreamError(
          'the stream ended before the command finished (the connection to the daemon closed). ' +
            'Check that the daemon is still running; the command was cancelled',
          { execId: state.execId },
        );
      }
    }
  } catch (e) {
    // Whatever broke once the caller aborted, the caller asked for the abort: report that.
    throw signal?.aborted ? signal.reason : e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    watchdog.stop();
    // Drops the connection; after a normal end this is a no-op.
    controller.abort();
    await state.cancelQuietly();
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
