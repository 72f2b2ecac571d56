import { createParser, type EventSourceMessage } from 'eventsource-parser';

import { CommandTimeoutError, StreamError, type StreamErrorDetails } from './errors.js';
import { describe, type Http } from './http.js';
import type { ExecChunk, ExecStreamOptions } from './types.js';
import { createDecoder } from './utf8.js';
import { execBody } from './wire.js';

/** How much of the output a {@link StreamError} keeps: the daemon's own default `max_output_bytes`. */
const ERROR_OUTPUT_CHARS = 1 << 20;

/** A cancel request must not hang a `break` when the daemon has gone away. */
const CANCEL_TIMEOUT_MS = 5_000;

/**
 * The last `cap` characters (or a little more) of a stream of strings, kept without copying:
 * whole pieces drop off the front, and joining waits until someone asks.
 */
class Tail {
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
    return s.length > this.cap ? s.slice(s.length - this.cap) : s;
  }
}

/** Runs one command over `POST .../exec/stream` and yields its chunks; see `Session.execStream`. */
export async function* streamExec(
  http: Http,
  sessionPath: string,
  cmd: string,
  options: ExecStreamOptions,
): AsyncGenerator<ExecChunk, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();

  const controller = new AbortController();
  let execId: string | null = null;
  let finished = false;
  let cancelling: Promise<void> | null = null;
  // Cancels on the daemon as soon as the exec id is known; closing the connection alone would
  // leave the command running for the daemon's disconnect grace period.
  const cancel = (): void => {
    if (cancelling === null && execId !== null) {
      cancelling = http
        .send('DELETE', `${sessionPath}/execs/${encodeURIComponent(execId)}`, {
          signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
        })
        .then(
          () => undefined,
          () => undefined, // 404: it had ended already; anything else: the connection drop ends it
        );
    }
  };
  const onAbort = (): void => {
    controller.abort(signal?.reason);
    if (!finished) cancel();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const output = new Tail(ERROR_OUTPUT_CHARS);
  const stdout = new Tail(ERROR_OUTPUT_CHARS);
  const stderr = new Tail(ERROR_OUTPUT_CHARS);
  const details = (code: string, extra: Partial<StreamErrorDetails> = {}): StreamErrorDetails => ({
    code,
    execId,
    output: output.text(),
    stdout: stdout.text(),
    stderr: stderr.text(),
    ...extra,
  });

  try {
    const body = { ...execBody(cmd, options), chunk_size: options.chunkSize };
    const response = await http.send('POST', `${sessionPath}/exec/stream`, {
      body,
      signal: controller.signal,
      accept: 'text/event-stream',
    });
    execId = response.headers.get('x-exec-id');
    if (signal?.aborted) cancel();
    if (response.body === null) {
      throw new StreamError('the daemon answered the stream request without a body', details('PROTOCOL_ERROR'));
    }
    const reader = response.body.getReader();
    const decode = createDecoder();
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });

    for (;;) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        throw new StreamError(
          `the stream broke off before the command finished (${describe(e)}); ` +
            'the command was cancelled; run it again if you need its result',
          details('STREAM_ENDED', { cause: e }),
        );
      }
      parser.feed(read.done ? decode(new Uint8Array(0), true) : decode(read.value));

      for (let i = 0; i < events.length; i++) {
        if (signal?.aborted) throw signal.reason;
        const event = events[i]!;
        switch (event.event) {
          case 'chunk': {
            const data = parseData(event, details);
            const text = typeof data.chunk === 'string' ? data.chunk : '';
            const stream = data.stream === 'stderr' ? 'stderr' : 'stdout';
            output.push(text);
            (stream === 'stderr' ? stderr : stdout).push(text);
            yield {
              done: false,
              output: text,
              stream,
              timestamp: typeof data.timestamp === 'number' ? data.timestamp : Date.now(),
              execId,
              exitCode: null,
              cwd: null,
              durationMs: null,
              stateLost: null,
            };
            break;
          }
          case 'done': {
            const data = parseData(event, details);
            finished = true;
            yield {
              done: true,
              output: '',
              stream: null,
              timestamp: Date.now(),
              execId: typeof data.exec_id === 'string' ? data.exec_id : execId,
              exitCode: typeof data.exit_code === 'number' ? data.exit_code : -1,
              cwd: typeof data.cwd === 'string' ? data.cwd : '',
              durationMs: typeof data.duration_ms === 'number' ? data.duration_ms : 0,
              stateLost: data.state_lost === true,
            };
            return;
          }
          case 'error': {
            const data = parseData(event, details);
            finished = true;
            throw streamFailure(data, details);
          }
          case 'start': {
            const data = parseData(event, details);
            if (execId === null && typeof data.exec_id === 'string') {
              execId = data.exec_id;
              if (signal?.aborted) cancel();
            }
            break;
          }
          default:
            break; // events a newer daemon may add
        }
      }
      events.length = 0;

      if (read.done) {
        throw new StreamError(
          'the stream ended before the command finished (did the daemon stop?); ' +
            'the command was cancelled; run it again if you need its result',
          details('STREAM_ENDED'),
        );
      }
    }
  } catch (e) {
    // Whatever broke once the caller aborted, the caller asked for the abort: report that.
    throw signal?.aborted ? signal.reason : e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Drops the connection; after a normal end this is a no-op.
    controller.abort();
    if (!finished) {
      cancel();
      if (cancelling !== null) await cancelling;
    }
  }
}

type EventData = Record<string, unknown>;

function parseData(
  event: EventSourceMessage,
  details: (code: string, extra?: Partial<StreamErrorDetails>) => StreamErrorDetails,
): EventData {
  try {
    const data: unknown = JSON.parse(event.data);
    if (typeof data === 'object' && data !== null) return data as EventData;
  } catch (e) {
    throw new StreamError(
      `the daemon sent a '${event.event}' event whose data is not JSON; is this client too old for it?`,
      details('PROTOCOL_ERROR', { cause: e }),
    );
  }
  throw new StreamError(
    `the daemon sent a '${event.event}' event whose data is not a JSON object`,
    details('PROTOCOL_ERROR'),
  );
}

function streamFailure(
  data: EventData,
  details: (code: string, extra?: Partial<StreamErrorDetails>) => StreamErrorDetails,
): StreamError {
  const code = typeof data.code === 'string' ? data.code : 'STREAM_ERROR';
  const extra: Partial<StreamErrorDetails> = {
    durationMs: typeof data.duration_ms === 'number' ? data.duration_ms : null,
    stateLost: data.state_lost === true,
  };
  if (typeof data.exec_id === 'string') extra.execId = data.exec_id;
  const said = typeof data.error === 'string' ? data.error : 'the command failed';
  switch (code) {
    case 'COMMAND_TIMEOUT':
      return new CommandTimeoutError(
        `${said}; the session is ready for the next command (pass a larger timeoutMs if it needs longer) [${code}]`,
        details(code, extra),
      );
    case 'SESSION_GONE':
      return new StreamError(`${said}; create a new session [${code}]`, details(code, extra));
    default:
      return new StreamError(`${said} [${code}]`, details(code, extra));
  }
}
