import { SandkastenError } from './errors.js';
import type { Http, RawBody } from './http.js';
import type { FileEntry, WriteResult } from './types.js';
import { toFileEntry, toWriteResult } from './wire.js';

/** What {@link Files.write} takes: text (written as UTF-8), bytes, or a stream of bytes. */
export type FileData = string | Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Options of the file operations. */
export interface FileOptions {
  /** Aborts the request (a transfer stops where it is). */
  signal?: AbortSignal;
  /**
   * Gives up after this many milliseconds; 0 waits as long as it takes. Default: the client's
   * `timeoutMs` for whole requests, and no limit for streamed uploads; a streamed download
   * (`readStream`, `download`) waits this long for the answer to begin, then as long as the
   * transfer takes.
   */
  timeoutMs?: number;
}

/** Local files are read in pieces of this size, and bodies in memory larger than it are streamed in such pieces. */
const PIECE = 1 << 20;

/**
 * The files of a session's or a workspace's `/workspace`: `session.files` or
 * `client.workspace(id).files`. Paths are relative to `/workspace`, or absolute below it.
 * Content goes through the daemon's raw routes, streamed both ways, so large files never sit
 * in memory unless you ask for them whole ({@link read}, {@link readText}).
 *
 * @example
 * await session.files.write('data/input.txt', 'hello\n'); // parent directories are created
 * const text = await session.files.readText('data/input.txt');
 * for (const entry of await session.files.list('data')) console.log(entry.name, entry.type, entry.size);
 */
export class Files {
  readonly #http: Http;
  readonly #base: string;

  /** @internal Use `session.files` or `client.workspace(id).files`. */
  constructor(http: Http, base: string) {
    this.#http = http;
    this.#base = base;
  }

  /**
   * Writes a file whole (replacing it), creating parent directories: text as UTF-8, bytes as
   * they are, or everything a stream yields (a `ReadableStream`, a Node `Readable`, any async
   * iterable of bytes), streamed to the daemon.
   *
   * @throws {PayloadTooLargeError} the file would be larger than the daemon's `max_file_bytes` (nothing is left behind)
   * @throws {BadRequestError} the path is outside `/workspace`, or a directory is in the way
   * @throws {ConflictError} the path cannot be written (read-only, or a symlink leading out of the workspace)
   */
  async write(path: string, data: FileData, options: FileOptions = {}): Promise<WriteResult> {
    checkPath(path);
    let raw: RawBody;
    let streamed = false;
    if (typeof data === 'string') data = new TextEncoder().encode(data);
    if (data instanceof Uint8Array) {
      // Large bodies go as a stream: the daemon refuses a body whose Content-Length is over its
      // limit without reading it, and Node's fetch then reports a broken pipe instead of the 413.
      raw = data.byteLength > PIECE ? fromAsyncIterable(pieces(data)) : data;
    } else if (isBlob(data)) {
      raw = data.size > PIECE ? (data.stream() as ReadableStream<Uint8Array>) : data;
    } else if (isReadableStream(data)) {
      raw = data;
      streamed = true;
    } else if (isAsyncIterable(data)) {
      raw = fromAsyncIterable(data);
      streamed = true;
    } else {
      throw new TypeError('data must be a string, a Uint8Array, a Blob, a ReadableStream or an async iterable of Uint8Array');
    }
    const json = await this.#http.json<Record<string, unknown>>('PUT', this.#url('/fs/raw', path), {
      raw,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? (streamed ? 0 : undefined),
    });
    return toWriteResult(json);
  }

  /**
   * Uploads the local file at `localPath` (Node only), streamed: never whole in memory.
   *
   * @example
   * await session.files.upload('dataset.csv', '/home/me/dataset.csv');
   */
  async upload(path: string, localPath: string, options: FileOptions = {}): Promise<WriteResult> {
    checkPath(path);
    const fs = await nodeFs();
    const file = await fs.open(localPath, 'r');
    try {
      const readPieces = async function* (): AsyncGenerator<Uint8Array> {
        for (;;) {
          const buffer = new Uint8Array(PIECE);
          const { bytesRead } = await file.read(buffer, 0, PIECE, null);
          if (bytesRead === 0) return;
          yield buffer.subarray(0, bytesRead);
        }
      };
      return await this.write(path, readPieces(), options);
    } finally {
      await file.close();
    }
  }

  /**
   * Reads a file whole into memory. For large files use {@link readStream} or {@link download}.
   *
   * @throws {NotFoundError} there is no such file (code `NOT_FOUND`)
   * @throws {BadRequestError} the path is a directory, or outside `/workspace`
   */
  async read(path: string, options: FileOptions = {}): Promise<Uint8Array> {
    checkPath(path);
    return this.#http.bytes('GET', this.#url('/fs/raw', path), options);
  }

  /** Reads a file whole as UTF-8 text (invalid bytes become U+FFFD). */
  async readText(path: string, options: FileOptions = {}): Promise<string> {
    return new TextDecoder().decode(await this.read(path, options));
  }

  /**
   * Opens a file for reading as a stream of bytes, for files of any size. Read it to its end or
   * cancel it: it holds a connection until then.
   *
   * @example
   * const stream = await session.files.readStream('big.log');
   * for await (const piece of stream) process.stdout.write(piece); // Node's ReadableStream is async-iterable
   */
  async readStream(path: string, options: FileOptions = {}): Promise<ReadableStream<Uint8Array>> {
    checkPath(path);
    const { signal } = options;
    signal?.throwIfAborted();
    const http = this.#http;
    const url = this.#url('/fs/raw', path);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const release = (): void => signal?.removeEventListener('abort', onAbort);
    let response: Response;
    try {
      response = await http.stream('GET', url, { accept: '*/*', timeoutMs: options.timeoutMs }, controller, signal);
    } catch (e) {
      release();
      throw e;
    }
    if (response.body === null) {
      release();
      throw new SandkastenError(`GET ${url}: the daemon answered without a body`);
    }
    const reader = response.body.getReader();
    // A wrapper, to turn a broken transfer into this package's error and to let go of the signal.
    return new ReadableStream<Uint8Array>({
      async pull(sink) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (e) {
          release();
          throw http.failure(e, 'GET', url, signal, 0);
        }
        if (read.done) {
          release();
          sink.close();
        } else {
          sink.enqueue(read.value);
        }
      },
      async cancel(reason) {
        release();
        controller.abort(reason);
      },
    });
  }

  /**
   * Downloads a file, streamed: never whole in memory. `destination` is a local path (Node
   * only; on failure the partial file is removed) or a `WritableStream` (closed at the end).
   * Resolves to the number of bytes written.
   *
   * @example
   * const bytes = await session.files.download('out/model.bin', '/tmp/model.bin');
   */
  async download(path: string, destination: string | WritableStream<Uint8Array>, options: FileOptions = {}): Promise<number> {
    if (typeof destination !== 'string') {
      if (typeof WritableStream === 'undefined' || !(destination instanceof WritableStream)) {
        throw new TypeError('destination must be a local path or a WritableStream');
      }
      let total = 0;
      const counter = new TransformStream<Uint8Array, Uint8Array>({
        transform(piece, sink) {
          total += piece.byteLength;
          sink.enqueue(piece);
        },
      });
      await (await this.readStream(path, options)).pipeThrough(counter).pipeTo(destination);
      return total;
    }
    const fs = await nodeFs();
    const stream = await this.readStream(path, options);
    let file: NodeFileHandle | undefined;
    let total = 0;
    try {
      file = await fs.open(destination, 'w');
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let at = 0; at < value.byteLength; ) {
          const { bytesWritten } = await file.write(value, at, value.byteLength - at);
          at += bytesWritten;
        }
        total += value.byteLength;
      }
      await file.close();
      file = undefined;
      return total;
    } catch (e) {
      await stream.cancel().catch(() => undefined);
      if (file !== undefined) {
        await file.close().catch(() => undefined);
        await fs.rm(destination, { force: true }).catch(() => undefined);
      }
      throw e;
    }
  }

  /**
   * The entries of a directory (default `/workspace`), sorted by name. Symlinks among them are
   * not followed.
   *
   * @throws {NotFoundError} no such directory
   * @throws {BadRequestError} the path is a file
   */
  async list(path = '/workspace', options: FileOptions = {}): Promise<FileEntry[]> {
    checkPath(path);
    const json = await this.#http.json<Record<string, unknown>>('GET', this.#url('/fs/list', path), options);
    const entries = Array.isArray(json.entries) ? (json.entries as Record<string, unknown>[]) : [];
    return entries.map(toFileEntry);
  }

  /**
   * What is at `path` (a symlink given as `path` is followed).
   *
   * @throws {NotFoundError} nothing is there
   */
  async stat(path: string, options: FileOptions = {}): Promise<FileEntry> {
    checkPath(path);
    return toFileEntry(await this.#http.json('GET', this.#url('/fs/stat', path), options));
  }

  /** Creates a directory and its parents, like `mkdir -p`; resolves to its normalised absolute path. */
  async mkdir(path: string, options: FileOptions = {}): Promise<string> {
    checkPath(path);
    const json = await this.#http.json<Record<string, unknown>>('POST', `${this.#base}/fs/mkdir`, {
      body: { path },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return String(json.path);
  }

  /**
   * Deletes a file, or a directory with everything in it. `/workspace` itself cannot be deleted.
   *
   * @throws {NotFoundError} nothing is there
   */
  async delete(path: string, options: FileOptions = {}): Promise<void> {
    checkPath(path);
    await this.#http.json('DELETE', this.#url('/fs', path), options);
  }

  #url(route: string, path: string): string {
    return `${this.#base}${route}?path=${encodeURIComponent(path)}`;
  }
}

function checkPath(path: unknown): void {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`path must be a non-empty string (relative to /workspace, or absolute below it), got '${String(path)}'`);
  }
}

/** `bytes` in pieces of {@link PIECE} bytes, without copying. */
async function* pieces(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += PIECE) yield bytes.subarray(at, at + PIECE);
}

function isBlob(data: unknown): data is Blob {
  return typeof Blob !== 'undefined' && data instanceof Blob;
}

function isReadableStream(data: unknown): data is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== 'undefined' && data instanceof ReadableStream;
}

function isAsyncIterable(data: unknown): data is AsyncIterable<Uint8Array> {
  return typeof data === 'object' && data !== null && typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** A ReadableStream over an async iterable, pulling one piece at a time (so the network paces the source). */
function fromAsyncIterable(source: AsyncIterable<Uint8Array | string>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(sink) {
      const { done, value } = await iterator.next();
      if (done) sink.close();
      // A Node Readable with an encoding set yields strings.
      else sink.enqueue(typeof value === 'string' ? encoder.encode(value) : value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

/** The part of Node's `fs/promises` FileHandle used here. */
interface NodeFileHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/** The part of Node's `fs/promises` used here. */
interface NodeFs {
  open(path: string, flags: string): Promise<NodeFileHandle>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}

/**
 * Node's `fs/promises`, loaded only when a local file is asked for, so that the package stays
 * usable in browsers (the specifier is a variable so that bundlers leave it alone).
 */
async function nodeFs(): Promise<NodeFs> {
  const specifier = 'node:fs/promises';
  try {
    return (await import(specifier)) as NodeFs;
  } catch (e) {
    throw new TypeError(
      'upload() and download() to a local path need Node.js (node:fs); elsewhere pass a stream or Blob to ' +
        'files.write() and download to a WritableStream',
      { cause: e },
    );
  }
}
