import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CommandCancelledError,
  CommandTimeoutError,
  SessionGoneError,
  StreamError,
  type DoneChunk,
  type ExecChunk,
  type Session,
} from '../src/index.js';
import { collect, SessionPool, testClient } from './helpers.js';

const pool = new SessionPool();
const client = testClient();
let session: Session;

beforeAll(async () => {
  session = pool.track(await client.createSession({ image: 'base' }));
});
afterAll(() => pool.destroyAll());

/**
 * True when no process of the session runs `needle` (checked from inside the sandbox). The
 * check queues behind the session's running command, so it also proves that command ended.
 */
async function gone(s: Session, needle: string): Promise<boolean> {
  const result = await s.exec(`pgrep -f '${needle}' || echo none`, { signal: AbortSignal.timeout(15_000) }).catch((e: unknown) => {
    throw new Error(`the session still runs the cancelled command: ${String(e)}`);
  });
  return result.output === 'none\n';
}

describe('streaming exec', () => {
  it('yields output chunks tagged by stream, then one done chunk', async () => {
    const chunks: ExecChunk[] = [];
    for await (const chunk of session.execStream('echo out; echo err >&2; sleep 0.3; echo again')) chunks.push(chunk);

    const last = chunks.at(-1) as DoneChunk;
    expect(last).toMatchObject({ done: true, exitCode: 0, cwd: '/workspace', output: '', stream: null, stateLost: false });
    expect(last.durationMs).toBeGreaterThanOrEqual(300);
    expect(last.execId).toMatch(/^ex_/);

    const output = chunks.slice(0, -1);
    expect(output.every((c) => !c.done && c.execId === last.execId && typeof c.timestamp === 'number')).toBe(true);
    const text = (stream: string) => output.filter((c) => c.stream === stream).map((c) => c.output).join('');
    expect(text('stdout')).toBe('out\nagain\n');
    expect(text('stderr')).toBe('err\n');
  });

  it('delivers output while the command still runs', async () => {
    let firstAt = 0;
    let doneAt = 0;
    for await (const chunk of session.execStream('echo early; sleep 2; echo late')) {
      if (!chunk.done && firstAt === 0) firstAt = Date.now();
      if (chunk.done) doneAt = Date.now();
    }
    expect(doneAt - firstAt).toBeGreaterThan(1_000);
  });

  it('reports exit code and cwd changes in the done chunk', async () => {
    const { last } = await collect(session.execStream('cd /tmp; exit 7'));
    expect(last).toMatchObject({ done: true, exitCode: 7, cwd: '/tmp' });
    await session.exec('cd /workspace');
  });

  it('streams large output intact, in chunks no larger than chunkSize', async () => {
    const size = 3_000_000;
    let total = 0;
    let largest = 0;
    let allA = true;
    for await (const chunk of session.execStream(`head -c ${size} /dev/zero | tr '\\0' a`, { chunkSize: 4096 })) {
      total += chunk.output.length;
      largest = Math.max(largest, chunk.output.length);
      if (!/^a*$/.test(chunk.output)) allA = false;
    }
    expect(total).toBe(size);
    expect(largest).toBeLessThanOrEqual(4096);
    expect(allA).toBe(true);
  });

  it('keeps multi-byte characters whole across chunk and network boundaries', async () => {
    // 2-, 3- and 4-byte characters, with a chunk size that splits them.
    const { output } = await collect(
      session.execStream(`for i in $(seq 20000); do printf 'ä€😀'; done`, { chunkSize: 1001 }),
    );
    expect(output).toBe('ä€😀'.repeat(20000));
  });

  it('a timeout is CommandTimeoutError with the output received so far', async () => {
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of session.execStream('echo partial; sleep 30', { timeoutMs: 500 })) seen.push(chunk.output);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error).toBeInstanceOf(StreamError);
    const timeout = error as CommandTimeoutError;
    expect(timeout).toMatchObject({ code: 'COMMAND_TIMEOUT', stateLost: false, truncated: false, result: null });
    expect(timeout.output).toContain('partial\n');
    expect(seen.join('')).toContain('partial\n');
    expect(timeout.execId).toMatch(/^ex_/);
    expect((await session.exec('echo next')).output).toBe('next\n');
  });

  it('a destroyed session is SessionGoneError on the first iteration', async () => {
    const s = await client.createSession({ image: 'base' });
    await s.destroy();
    await expect(collect(s.execStream('true'))).rejects.toBeInstanceOf(SessionGoneError);
  });

  it('rejects bad arguments at once', () => {
    expect(() => session.execStream(undefined as unknown as string)).toThrow(TypeError);
    expect(() => session.execStream('true', { chunkSize: 0 })).toThrow(/chunkSize must be a positive integer/);
  });
});

describe('cancelling a stream', () => {
  it('break cancels the command on the daemon at once; the next command runs right away', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    await s.exec('touch /tmp/app.log');
    let first = '';
    for await (const chunk of s.execStream('echo watching; tail -f /tmp/app.log')) {
      first = chunk.output;
      break;
    }
    expect(first).toBe('watching\n');
    // The test daemon waits 60 s before killing a command whose client hung up, so only the
    // client's cancel request can end it in time for this check.
    expect(await gone(s, 'tail -f /tmp/app.log')).toBe(true);
  });

  it('an exception inside the loop cancels the command too', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    const error = await (async () => {
      for await (const chunk of s.execStream('echo tick; sleep 300')) {
        if (chunk.output) throw new Error('consumer failed');
      }
    })().catch((e: unknown) => e);
    expect((error as Error).message).toBe('consumer failed');
    expect(await gone(s, 'sleep 300')).toBe(true);
  });

  it('an AbortSignal cancels the command and rejects with its reason', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    const controller = new AbortController();
    const chunks: string[] = [];
    const error = await (async () => {
      for await (const chunk of s.execStream("bash -c 'for i in $(seq 600); do echo $i; sleep 0.1; done'", { signal: controller.signal })) {
        chunks.push(chunk.output);
        if (chunks.join('').includes('3\n')) controller.abort(new Error('user pressed stop'));
      }
    })().catch((e: unknown) => e);
    expect((error as Error).message).toBe('user pressed stop');
    expect(await gone(s, 'seq 600')).toBe(true);
  });

  it('aborting while the consumer is away cancels without another iteration', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    const controller = new AbortController();
    const iterator = s.execStream('echo up; sleep 300', { signal: controller.signal });
    const first = await iterator.next();
    expect(first.value).toMatchObject({ output: 'up\n' });
    // The consumer never calls next() again; the abort alone must reach the daemon.
    controller.abort();
    expect(await gone(s, 'sleep 300')).toBe(true);
    await expect(iterator.next()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('an already aborted signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(collect(session.execStream('echo never > /tmp/never', { signal: controller.signal }))).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect((await session.exec('cat /tmp/never 2>/dev/null || echo absent')).output).toBe('absent\n');
  });

  it('session.cancel stops a command another consumer streams: CommandCancelledError', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    const stream = s.execStream('echo go; sleep 300');
    expect(stream.execId).toBeNull();
    const first = await stream.next();
    const execId = (first.value as ExecChunk).execId!;
    expect(stream.execId).toBe(execId);
    expect(await s.cancel(execId)).toBe(true);
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandCancelledError);
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'CANCELLED', execId });
    expect(await s.cancel(execId)).toBe(false);
    expect(await stream.cancel()).toBe(false);
  });

  it('stream.cancel() from elsewhere ends the iteration with CommandCancelledError', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    const stream = s.execStream('echo go; sleep 300');
    expect(await stream.cancel()).toBe(false); // not started yet
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) {
        seen.push(chunk.output);
        if (seen.length === 1) setTimeout(() => void stream.cancel(), 10);
      }
    })().catch((e: unknown) => e);
    // Output read before the cancel arrived (bash's 'Killed' notice, say) may still come first.
    expect(seen[0]).toBe('go\n');
    expect(error).toBeInstanceOf(CommandCancelledError);
    expect(await gone(s, 'sleep 300')).toBe(true);
  });

  it('close() before reading sends nothing; close() mid-way cancels', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    await s.execStream('echo never > /tmp/never').close();
    expect((await s.exec('cat /tmp/never 2>/dev/null || echo absent')).output).toBe('absent\n');
    const stream = s.execStream('echo up; sleep 300');
    await stream.next();
    await stream.close();
    expect(await gone(s, 'sleep 300')).toBe(true);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
