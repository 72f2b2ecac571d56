import { createServer, type AddressInfo } from 'node:net';

import { afterAll, describe, expect, inject, it } from 'vitest';

import {
  APIError,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  PayloadTooLargeError,
  SandboxClient,
  SandkastenConnectionError,
  SandkastenError,
  SessionGoneError,
} from '../src/index.js';
import { SessionPool, testClient } from './helpers.js';

const pool = new SessionPool();
afterAll(() => pool.destroyAll());

describe('SandboxClient options', () => {
  it('takes baseUrl and apiKey from the environment when not given', () => {
    const { baseUrl, apiKey } = inject('daemon');
    const saved = { url: process.env.SANDKASTEN_URL, key: process.env.SANDKASTEN_API_KEY };
    try {
      process.env.SANDKASTEN_URL = `${baseUrl}/`;
      process.env.SANDKASTEN_API_KEY = apiKey;
      expect(new SandboxClient().baseUrl).toBe(baseUrl);
      delete process.env.SANDKASTEN_URL;
      expect(new SandboxClient().baseUrl).toBe('http://127.0.0.1:8080');
    } finally {
      restore('SANDKASTEN_URL', saved.url);
      restore('SANDKASTEN_API_KEY', saved.key);
    }
  });

  it('refuses to start without an API key, saying where to get one', () => {
    const saved = process.env.SANDKASTEN_API_KEY;
    try {
      delete process.env.SANDKASTEN_API_KEY;
      expect(() => new SandboxClient({ baseUrl: 'http://127.0.0.1:1' })).toThrow(/SANDKASTEN_API_KEY/);
    } finally {
      restore('SANDKASTEN_API_KEY', saved);
    }
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(() => new SandboxClient({ baseUrl: 'localhost:8080', apiKey: 'k' })).toThrow(TypeError);
    expect(() => new SandboxClient({ baseUrl: 'not a url', apiKey: 'k' })).toThrow(/http\(s\) URL/);
    expect(() => new SandboxClient({ baseUrl: 'http://h', apiKey: 'k', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('uses a fetch passed in the options', async () => {
    const { baseUrl, apiKey } = inject('daemon');
    const seen: string[] = [];
    const client = new SandboxClient({
      baseUrl,
      apiKey,
      fetch: (input, init) => {
        seen.push(`${init.method} ${input}`);
        return fetch(input, init);
      },
    });
    await client.listSessions();
    expect(seen).toEqual([`GET ${baseUrl}/v1/sessions`]);
  });
});

describe('sessions', () => {
  const client = testClient();

  it('creates a session with options and reports its info', async () => {
    const session = pool.track(
      await client.createSession({ image: 'base', ttlSeconds: 600, labels: { suite: 'ts' }, env: { GREETING: 'hi there' } }),
    );
    expect(session.id).toMatch(/^sb_/);
    const info = await session.info();
    expect(info).toMatchObject({ id: session.id, image: 'base', status: 'running', cwd: '/workspace', labels: { suite: 'ts' } });
    expect(info.createdAt).toBeInstanceOf(Date);
    const lease = info.expiresAt.getTime() - info.createdAt.getTime();
    expect(lease).toBeGreaterThan(590_000);
    expect(lease).toBeLessThan(610_000);
    expect((await session.exec('echo "$GREETING"')).output).toBe('hi there\n');
  });

  it('finds a session by id and in the list, and follows its cwd', async () => {
    const session = pool.track(await client.createSession());
    await session.exec('cd /tmp');
    const found = await client.getSession(session.id);
    expect(found.id).toBe(session.id);
    expect((await found.info()).cwd).toBe('/tmp');
    const listed = await client.listSessions();
    expect(listed.find((info) => info.id === session.id)).toMatchObject({ status: 'running', cwd: '/tmp' });
  });

  it('reports stats of the sandbox', async () => {
    const session = pool.track(await client.createSession());
    const stats = await session.stats();
    expect(stats.memoryLimit).toBeGreaterThan(0);
    expect(stats.memoryBytes).toBeGreaterThan(0);
    expect(stats.cpuUsageUsec).toBeGreaterThanOrEqual(0);
    expect(stats.pids).toBeGreaterThanOrEqual(1);
  });

  it('destroys a session; destroying or using it again is SessionGoneError', async () => {
    const session = await client.createSession();
    await session.destroy();
    await expect(session.destroy()).rejects.toBeInstanceOf(SessionGoneError);
    expect((await session.info()).status).toBe('destroyed');
    const error = await session.exec('true').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionGoneError);
    expect(error).toMatchObject({ status: 410, code: 'SESSION_GONE' });
    expect((error as Error).message).toMatch(/Create a new session with client.createSession()/);
    expect((await client.listSessions()).map((s) => s.id)).not.toContain(session.id);
  });
});

describe('errors', () => {
  const client = testClient();

  it('a wrong key is AuthenticationError, and says what to check', async () => {
    const { baseUrl } = inject('daemon');
    const bad = new SandboxClient({ baseUrl, apiKey: 'wrong-key-wrong-key' });
    const error = await bad.createSession().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toBeInstanceOf(SandkastenError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED', name: 'AuthenticationError' });
    expect((error as Error).message).toMatch(/SANDKASTEN_API_KEY/);
  });

  it('an unknown session is NotFoundError', async () => {
    const error = await client.getSession('sb_doesnotexist').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'SESSION_NOT_FOUND' });
  });

  it('bad input is BadRequestError with the daemon\'s explanation', async () => {
    const error = await client.createSession({ image: 'no-such-image' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
    expect((error as BadRequestError).detail).toMatch(/image/);
    expect((error as Error).message).toContain('(HTTP 400 INVALID_REQUEST). Fix the argument');
  });

  it('a command over 1 MiB is PayloadTooLargeError', async () => {
    const session = pool.track(await client.createSession({ image: 'base' }));
    const error = await session.exec(`echo ${'x'.repeat(1_100_000)}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ status: 413 });
  });

  it('an unreachable daemon is SandkastenConnectionError naming the address', async () => {
    const port = await closedPort();
    const dead = new SandboxClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'whatever-key' });
    const error = await dead.listSessions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandkastenConnectionError);
    expect((error as Error).message).toContain(`127.0.0.1:${port} (ECONNREFUSED)`);
  });

  it('an aborted request rejects with the signal\'s reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('changed my mind'));
    await expect(client.listSessions({ signal: controller.signal })).rejects.toThrow('changed my mind');
  });
});

/** A port nothing listens on: one the OS just handed out and took back. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
