import { sleep } from './http.js';
import type { RequestOptions, Session } from './session.js';
import type { ExecStream } from './stream.js';
import type { AttachOptions, ExecInfo, ExecState, SignalName } from './types.js';

/** States after which a command does not change any more. */
const FINAL_STATES: ReadonlySet<ExecState> = new Set(['exited', 'timed_out', 'cancelled', 'lost']);

/** `wait()` polls the command's state, first often, then at most this far apart. */
const WAIT_POLL_MAX_MS = 500;

/**
 * A command started with {@link Session.execBackground}: it runs beside the session's other
 * commands until it ends, whoever watches it.
 *
 * @example
 * const job = await session.execBackground('sort', { stdin: true });
 * await job.writeStdin('b\na\n');
 * await job.closeStdin();
 * const info = await job.wait();
 * console.log(info.exitCode); // 0
 * for await (const chunk of job.stream()) process.stdout.write(chunk.output); // a, b
 */
export class ExecHandle {
  /** The command's exec id. */
  readonly id: string;
  /** The session the command runs in. */
  readonly session: Session;

  /** @internal Use `Session.execBackground`. */
  constructor(session: Session, id: string) {
    this.session = session;
    this.id = id;
  }

  /** The command's state, exit code and output counts now. */
  info(options: RequestOptions = {}): Promise<ExecInfo> {
    return this.session.getExec(this.id, options);
  }

  /**
   * Resolves once the command has ended, with its final info: `state` says how it ended
   * (`exited`, `timed_out`, `cancelled`, `lost`) and `exitCode` its status when it exited. A
   * timeout or cancel is not an error here. Abort `options.signal` to stop waiting (the command
   * runs on).
   */
  async wait(options: RequestOptions = {}): Promise<ExecInfo> {
    // Polling, not an attached stream: a stream would have to read all the output, and a
    // reader that falls behind slows the command down.
    let pause = 25;
    for (;;) {
      const info = await this.info(options);
      if (FINAL_STATES.has(info.state)) return info;
      await sleep(pause, options.signal);
      pause = Math.min(pause * 2, WAIT_POLL_MAX_MS);
    }
  }

  /** Cancels the command (its whole process tree); false if it had ended already. */
  cancel(options: RequestOptions = {}): Promise<boolean> {
    return this.session.cancel(this.id, options);
  }

  /** Writes to the command's input (it must have been started with `stdin: true`); see {@link Session.writeStdin}. */
  writeStdin(data: string | Uint8Array, options: RequestOptions & { close?: boolean } = {}): Promise<void> {
    return this.session.writeStdin(this.id, data, options);
  }

  /** Ends the command's input: it reads end of file. */
  closeStdin(options: RequestOptions = {}): Promise<void> {
    return this.session.closeStdin(this.id, options);
  }

  /** Sends a signal to the command's process tree; resolves to how many processes got it. See {@link Session.signal}. */
  signal(signal: SignalName, options: RequestOptions = {}): Promise<number> {
    return this.session.signal(this.id, signal, options);
  }

  /** Changes the size of the command's terminal (it must have been started with `pty: true`). */
  resize(cols: number, rows: number, options: RequestOptions = {}): Promise<void> {
    return this.session.resize(this.id, cols, rows, options);
  }

  /**
   * Streams the command's output, from the beginning (or after `options.from`), live until it
   * ends. Leaving the loop does not cancel the command.
   */
  stream(options: AttachOptions = {}): ExecStream {
    return this.session.attach(this.id, options);
  }
}
