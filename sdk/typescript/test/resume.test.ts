// Streams survive broken connections: a proxy between the SDK and the real daemon cuts them
// mid-stream, and the consumer still sees every byte once, in order.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';

import { SandboxClient, StreamError, type ExecInfo, type Session } from '../src/index.js';
import { CuttingProxy } from './proxy.js';
import { SessionPool, testClient } from './helpers.js';

const pool = new SessionPool();
const client = testClient();
let proxy: CuttingProxy;

beforeAll(async () => {
  proxy = await CuttingProxy.start(inject('daemon').baseUrl);
});
afterEach(() => {
  proxy.reset();
});
afterAll(async () => {
  await proxy.close();
  await pool.destroyAll();
});

/** A session created directly, and the same session seen through the proxy. */
async function sessionPair(): Promise<{ direct: Session; proxied: Session }> {
  const direct = pool.track(await client.createSession({ image: 'base' }));
  const proxied = await new SandboxClient({ baseUrl: proxy.url, apiKey: inject('daemon').apiKey }).getSession(direct.id);
  return { direct, proxied };
}

function numberedLines(n: number): string {
  let text = '';
  for (let i = 1; i <= n; i++) text += `${i}\n`;
  return text;
}

/** Polls the command's state until `until` accepts it (the daemon may take a moment to reap it). */
async function execState(session: Session, execId: string, until: (info: ExecInfo) => boolean): Promise<ExecInfo> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const info = await session.getExec(execId);
    if (until(info) || Date.now() > deadline) return info;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('resuming a stream', () => {
  it('a stream cut several times still delivers the whole output exactly once, in order', async () => {
    const { direct, proxied } = await sessionPair();
    const expected = numberedLines(400_000); // 2.9 MB
    proxy.cut(400_000, 4);
    let output = '';
    let exitCode: number | null = null;
    let execId: string | null = null;
    for await (const chunk of proxied.execStream('seq 1 400000')) {
      output += chunk.output;
      if (chunk.kind === 'done') {
        exitCode = chunk.exitCode;
        execId = chunk.execId;
      }
    }
    expect(proxy.cuts).toBe(4);
    expect(output.length).toBe(expected.length);
    expect(output === expected).toBe(true);
    expect(exitCode).toBe(0);
    // The command ran once: the daemon counted exactly that output.
    expect((await direct.getExec(execId!)).stdoutBytes).toBe(expected.length);
  });

  it('an attached stream resumes too', async () => {
    const { proxied } = await sessionPair();
    const job = await proxied.execBackground('seq 1 300000');
    proxy.cut(300_000, 3);
    let output = '';
    for await (const chunk of job.stream()) output += chunk.output;
    expect(proxy.cuts).toBe(3);
    expect(output === numberedLines(300_000)).toBe(true);
  });

  it('with detachGraceMs 0 a cut ends the stream with StreamError, and the command is cancelled', async () => {
    const { direct, proxied } = await sessionPair();
    proxy.cut(2_000, 1);
    const error = await (async () => {
      for await (const _ of proxied.execStream('seq 1 100000; sleep 300', { detachGraceMs: 0 }));
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(proxy.cuts).toBe(1);
    const { code, execId, message } = error as StreamError;
    expect(code).toBeNull();
    expect(message).toMatch(/(broke mid-stream|ended before the command finished).*the command was cancelled/);
    expect(execId).toMatch(/^ex_/);
    const info = await execState(direct, execId!, (i) => i.state !== 'running');
    expect(info.state).toBe('cancelled');
  });

  it('gives up after a bounded number of attempts when the daemon stays out of reach', async () => {
    const { proxied } = await sessionPair();
    const started = Date.now();
    const error = await (async () => {
      // The first chunk cuts every connection, and the proxy takes no new one.
      for await (const _ of proxied.execStream('echo start; sleep 300')) proxy.refuse();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(/6 attempts to resume the stream failed/);
    // Bounded: a few seconds of backoff, not the command's lifetime.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('leaving a resumable stream early', () => {
  it('break cancels the command at once: its state is cancelled', async () => {
    const { direct } = await sessionPair();
    let execId: string | null = null;
    for await (const chunk of direct.execStream('echo start; sleep 300')) {
      execId = chunk.execId;
      break;
    }
    // Only the client's cancel can end it this soon: the test daemon's grace is 60 s.
    expect((await execState(direct, execId!, (i) => i.state !== 'running')).state).toBe('cancelled');
  });

  it('close() cancels the command at once', async () => {
    const { direct } = await sessionPair();
    const stream = direct.execStream('echo start; sleep 300');
    await stream.next();
    await stream.close();
    expect((await execState(direct, stream.execId!, (i) => i.state !== 'running')).state).toBe('cancelled');
    // The shell is free again at once (the test daemon's grace would hold it for 60 s).
    expect((await direct.exec('echo free', { signal: AbortSignal.timeout(15_000) })).output).toBe('free\n');
  });
});
