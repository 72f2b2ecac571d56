// Files of a session's /workspace, and persistent workspaces, against the real daemon.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  SessionGoneError,
  type Session,
} from '../src/index.js';
import { SessionPool, testClient } from './helpers.js';

const pool = new SessionPool();
const client = testClient();
let session: Session;
let scratch: string;

beforeAll(async () => {
  session = pool.track(await client.createSession({ image: 'base' }));
  scratch = mkdtempSync(join(tmpdir(), 'sandkasten-ts-files-'));
});
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await pool.destroyAll();
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}

describe('files', () => {
  it('round-trips text, creating parent directories; the sandbox sees the same file', async () => {
    const text = 'Grüße 🌍\nline two\n';
    const written = await session.files.write('notes/today/hello.txt', text);
    expect(written).toEqual({ path: '/workspace/notes/today/hello.txt', size: Buffer.byteLength(text) });
    expect(await session.files.readText('notes/today/hello.txt')).toBe(text);
    expect(await session.files.readText('/workspace/notes/today/hello.txt')).toBe(text);
    expect((await session.exec('cat notes/today/hello.txt')).output).toBe(text);
    await session.exec('echo from-shell > shell.txt');
    expect(await session.files.readText('shell.txt')).toBe('from-shell\n');
  });

  it('round-trips binary data with all 256 byte values exactly', async () => {
    const bytes = new Uint8Array(256 * 4).map((_, i) => i % 256);
    await session.files.write('bin/all-bytes', bytes);
    const back = await session.files.read('bin/all-bytes');
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    expect((await session.exec('sha256sum bin/all-bytes')).output.split(' ')[0]).toBe(sha256(bytes));
  });

  it('uploads a 32 MB file streamed from disk and downloads it streamed to disk, the same by hash', async () => {
    const local = join(scratch, 'upload.bin');
    writeFileSync(local, randomBytes(32_000_000));
    const localHash = await sha256OfFile(local);
    expect(await session.files.upload('big/upload.bin', local)).toEqual({ path: '/workspace/big/upload.bin', size: 32_000_000 });
    expect((await session.exec('sha256sum big/upload.bin')).output.split(' ')[0]).toBe(localHash);

    const copy = join(scratch, 'download.bin');
    expect(await session.files.download('big/upload.bin', copy)).toBe(32_000_000);
    expect(statSync(copy).size).toBe(32_000_000);
    expect(await sha256OfFile(copy)).toBe(localHash);
  });

  it('writes from an async iterable, reads as a stream and downloads to a WritableStream', async () => {
    async function* pieces() {
      for (let i = 0; i < 50; i++) yield new TextEncoder().encode(`piece ${i}\n`);
    }
    const expected = Array.from({ length: 50 }, (_, i) => `piece ${i}\n`).join('');
    expect((await session.files.write('streamed.txt', pieces())).size).toBe(expected.length);
    const stream = await session.files.readStream('streamed.txt');
    const reader = stream.getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value, { stream: true });
    }
    expect(text).toBe(expected);

    const pieces2: Uint8Array[] = [];
    const sink = new WritableStream<Uint8Array>({ write: (piece) => void pieces2.push(piece) });
    expect(await session.files.download('streamed.txt', sink)).toBe(expected.length);
    expect(Buffer.concat(pieces2).toString()).toBe(expected);
  });

  it('lists, stats, makes and deletes directories', async () => {
    expect(await session.files.mkdir('tree/a/b')).toBe('/workspace/tree/a/b');
    await session.files.write('tree/a/file.txt', '12345');
    const entries = await session.files.list('tree/a');
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ['b', 'directory'],
      ['file.txt', 'file'],
    ]);
    const file = entries[1]!;
    expect(file).toMatchObject({ path: '/workspace/tree/a/file.txt', size: 5 });
    expect(file.mode).toMatch(/^0[0-7]{3}$/);
    expect(file.modifiedAt).toBeInstanceOf(Date);
    expect(await session.files.stat('tree/a/file.txt')).toEqual(file);
    expect((await session.files.list()).map((e) => e.name)).toContain('tree');

    await session.files.delete('tree/a/file.txt');
    await expect(session.files.stat('tree/a/file.txt')).rejects.toBeInstanceOf(NotFoundError);
    await session.files.delete('tree');
    expect((await session.exec('test -e tree && echo there || echo gone')).output).toBe('gone\n');
  });

  it('maps errors to the error classes', async () => {
    const missing = await session.files.read('no/such/file').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    // The daemon's own words say what is missing; no advice about the URL.
    expect((missing as Error).message).toMatch(/no such file or directory: \/workspace\/no\/such\/file/);
    expect((missing as Error).message).not.toMatch(/baseUrl/);

    await expect(session.files.read('/etc/passwd')).rejects.toBeInstanceOf(BadRequestError);
    await expect(session.files.list('shell.txt')).rejects.toBeInstanceOf(BadRequestError);
    await expect(session.files.delete('/workspace')).rejects.toBeInstanceOf(BadRequestError);
    await session.exec('ln -sf /etc/passwd escape');
    await expect(session.files.write('escape', 'x')).rejects.toBeInstanceOf(ConflictError);
    await expect(session.files.read('escape')).rejects.toBeInstanceOf(NotFoundError);
    await expect(session.files.read('')).rejects.toThrow(TypeError);
  });

  it('a file over the daemon\'s max_file_bytes is PayloadTooLargeError, in memory or streamed, and leaves nothing', async () => {
    // The test daemon allows 48 MiB.
    const tooBig = 48 * 1024 * 1024 + 1;
    const inMemory = await session.files.write('huge.bin', new Uint8Array(tooBig)).catch((e: unknown) => e);
    expect(inMemory).toBeInstanceOf(PayloadTooLargeError);
    expect(inMemory).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    async function* zeros() {
      for (let sent = 0; sent < tooBig; sent += 1 << 20) yield new Uint8Array(Math.min(1 << 20, tooBig - sent));
    }
    await expect(session.files.write('huge.bin', zeros())).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(session.files.stat('huge.bin')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('files of an ended session are SessionGoneError', async () => {
    const s = await client.createSession({ image: 'base' });
    await s.destroy();
    await expect(s.files.write('x.txt', 'x')).rejects.toBeInstanceOf(SessionGoneError);
    await expect(s.files.list()).rejects.toBeInstanceOf(SessionGoneError);
  });
});

describe('workspaces', () => {
  it('keeps files across sessions with the same workspaceId; lists and deletes workspaces', async () => {
    const id = `ts-ws-${Date.now().toString(36)}`;
    const first = await client.createSession({ image: 'base', workspaceId: id });
    expect((await first.info()).workspaceId).toBe(id);
    await first.files.write('keep.txt', 'kept\n');
    await first.exec('echo more >> keep.txt');
    await first.destroy();

    const second = pool.track(await client.createSession({ image: 'base', workspaceId: id }));
    expect((await second.exec('cat keep.txt')).output).toBe('kept\nmore\n');

    // The same files without any session.
    const workspace = client.workspace(id);
    expect(await workspace.files.readText('keep.txt')).toBe('kept\nmore\n');
    await workspace.files.write('from-outside.txt', 'hi');
    expect((await second.exec('cat from-outside.txt')).output).toBe('hi');
    expect((await workspace.files.list()).map((e) => e.name)).toEqual(['from-outside.txt', 'keep.txt']);

    const listed = (await client.listWorkspaces()).find((w) => w.id === id);
    expect(listed).toMatchObject({ id, sessions: 1 });
    expect(listed!.createdAt).toBeInstanceOf(Date);

    await expect(client.deleteWorkspace(id)).rejects.toBeInstanceOf(ConflictError);
    await second.destroy();
    await client.deleteWorkspace(id);
    expect((await client.listWorkspaces()).map((w) => w.id)).not.toContain(id);
    await expect(workspace.files.readText('keep.txt')).rejects.toBeInstanceOf(NotFoundError);
    await expect(workspace.delete()).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a workspace written without a session is created; bad ids are refused before any request', async () => {
    const id = `ts-ws-out-${Date.now().toString(36)}`;
    const workspace = client.workspace(id);
    expect(await workspace.files.mkdir('data')).toBe('/workspace/data');
    expect((await client.listWorkspaces()).map((w) => w.id)).toContain(id);
    await workspace.delete();
    expect(() => client.workspace('bad id')).toThrow(TypeError);
    expect(() => client.workspace('-dash-first')).toThrow(/letters, digits/);
    const error = await client.createSession({ workspaceId: '../escape' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
  });
});
