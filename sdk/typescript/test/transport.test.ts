// Failure modes the real daemon does not produce on purpose (silence, a cut connection, a
// garbled event), played by a small local HTTP server. Everything else runs against the daemon.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { SandboxClient, SandkastenConnectionError, StreamError, type Session } from '../src/index.js';
import { collect } from './helpers.js';

const START = 'id: 0\nevent: start\ndata: {"exec_id":"ex_fake","timestamp":1}\n\n';
const CHUNK = 'id: 1\nevent: chunk\ndata: {"chunk":"hello\\n","timestamp":2,"stream":"stdout"}\n\n';

const RESUMED =
  'id: 2\nevent: chunk\ndata: {"chunk":"world\\n","timestamp":3,"stream":"stdout"}\n\n' +
  'id: 3\nevent: done\ndata: {"exit_code":0,"cwd":"/workspace","duration_ms":5,"exec_id":"ex_fake"}\n\n';

let server: Server;
let baseUrl: string;
const deletes: string[] = [];
/** The body of each exec request, and the Last-Event-ID of each resume. */
const bodies: Record<string, unknown>[] = [];
const resumes: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === 'DELETE') {
      deletes.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (req.url === '/v1/sessions/sb_silent') return; // accepts, never answers
    if (req.method === 'GET' && req.url === '/v1/sessions/sb_fake/execs/ex_fake/stream') {
      const lastId = req.headers['last-event-id'];
      resumes.push(typeof lastId === 'string' ? lastId : undefined);
      if (resumes.length === 1 && bodies.at(-1)?.cmd === 'cut-then-resume') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-exec-id': 'ex_fake' }).end(RESUMED);
        return;
      }
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":"exec ex_fake not found in session sb_fake","code":"EXEC_NOT_FOUND"}');
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"sb_fake"}');
      return;
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const json = JSON.parse(body) as { cmd: string };
      bodies.push(json);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-exec-id': 'ex_fake' });
      res.write(START + CHUNK);
      if (json.cmd === 'cut' || json.cmd === 'cut-then-resume') res.end();
      if (json.cmd === 'garbled') res.end('event: chunk\ndata: not json\n\n');
      // 'silent': stays open and says nothing more
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  deletes.length = 0;
  bodies.length = 0;
  resumes.length = 0;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

async function fakeSession(timeoutMs = 120_000, detachGraceMs?: number): Promise<Session> {
  return new SandboxClient({ baseUrl, apiKey: 'fake-key', timeoutMs, detachGraceMs }).getSession('sb_fake');
}

describe('a daemon that misbehaves', () => {
  it('no answer within timeoutMs is SandkastenConnectionError', async () => {
    const client = new SandboxClient({ baseUrl, apiKey: 'fake-key', timeoutMs: 300 });
    const error = await client.getSession('sb_silent').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandkastenConnectionError);
    expect((error as Error).message).toMatch(/did not answer within 0\.3 s/);
  });

  it('a stream silent for timeoutMs is StreamError, and the command is cancelled', async () => {
    const session = await fakeSession(500, 0);
    const error = await collect(session.execStream('silent')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: null, execId: 'ex_fake' });
    expect((error as Error).message).toMatch(/sent nothing for 0\.5 s/);
    expect(deletes).toEqual(['/v1/sessions/sb_fake/execs/ex_fake']);
  });

  it('a slow consumer is not mistaken for a silent daemon', async () => {
    const session = await fakeSession(300);
    const stream = session.execStream('cut', { detachGraceMs: 0 });
    expect((await stream.next()).value).toMatchObject({ output: 'hello\n' });
    await new Promise((r) => setTimeout(r, 700));
    // The cut comes next, not a silence error.
    await expect(stream.next()).rejects.toThrow(/stream ended before the command finished/);
  });

  it('a stream cut before done without resuming is StreamError, and the command is cancelled', async () => {
    const session = await fakeSession(120_000, 0);
    const chunks: string[] = [];
    const error = await (async () => {
      for await (const chunk of session.execStream('cut')) chunks.push(chunk.output);
    })().catch((e: unknown) => e);
    expect(chunks).toEqual(['hello\n']);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/ended before the command finished.*the command was cancelled/);
    expect(deletes).toEqual(['/v1/sessions/sb_fake/execs/ex_fake']);
    expect(resumes).toEqual([]);
    expect(bodies[0]).toMatchObject({ detach_grace_ms: 0 });
  });

  it('a cut stream resumes with Last-Event-ID set to the last event delivered', async () => {
    const session = await fakeSession();
    const chunks = [];
    for await (const chunk of session.execStream('cut-then-resume')) chunks.push(chunk);
    expect(chunks.map((c) => [c.kind, c.output, c.eventId])).toEqual([
      ['output', 'hello\n', 1],
      ['output', 'world\n', 2],
      ['done', '', 3],
    ]);
    expect(resumes).toEqual(['1']);
    expect(deletes).toEqual([]);
    expect(bodies[0]).toMatchObject({ detach_grace_ms: 30_000 });
  });

  it('a resume the daemon refuses is StreamError with its code, and the command is cancelled', async () => {
    const session = await fakeSession();
    const error = await collect(session.execStream('cut', { detachGraceMs: 5_000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'EXEC_NOT_FOUND', execId: 'ex_fake' });
    expect((error as Error).message).toMatch(
      /ended before the command finished.*; the command was cancelled\. Resuming the stream failed: exec ex_fake not found/,
    );
    expect(resumes).toEqual(['1']);
    expect(deletes).toEqual(['/v1/sessions/sb_fake/execs/ex_fake']);
    expect(bodies[0]).toMatchObject({ detach_grace_ms: 5_000 });
  });

  it('detachGraceMs is checked: an integer >= 0', () => {
    expect(() => new SandboxClient({ baseUrl, apiKey: 'k', detachGraceMs: -1 })).toThrow(/detachGraceMs/);
  });

  it('a garbled event is StreamError saying the versions may not match', async () => {
    const session = await fakeSession();
    const error = await collect(session.execStream('garbled')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/malformed 'chunk' event \(not json\).*versions match/);
  });

  it("undici's 5-minute headers timeout on a blocking exec says the command still runs", async () => {
    const fetch = async (input: string, init: RequestInit): Promise<Response> => {
      if (init.method === 'GET') return new Response('{"id":"sb_fake"}', { status: 200 });
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
      });
    };
    const session = await new SandboxClient({ baseUrl, apiKey: 'fake-key', fetch }).getSession('sb_fake');
    const error = await session.exec('sleep 400').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandkastenConnectionError);
    expect((error as Error).message).toMatch(/UND_ERR_HEADERS_TIMEOUT.*still runs there.*execStream.*headersTimeout: 0/);
    expect((error as Error).message).not.toMatch(/could not reach/);
  });
});
