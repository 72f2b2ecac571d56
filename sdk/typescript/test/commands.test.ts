// Commands as resources: listing, attaching, background handles, input, signals, terminals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  BadRequestError,
  ConflictError,
  ExecHandle,
  NotFoundError,
  type ExecChunk,
  type ExecStream,
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

/** Every chunk of a stream. */
async function chunksOf(stream: AsyncIterable<ExecChunk>): Promise<ExecChunk[]> {
  const chunks: ExecChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Reads a stream until its output so far contains `text`; returns that output. */
async function readUntil(stream: ExecStream, text: string): Promise<string> {
  let output = '';
  while (!output.includes(text)) {
    const next = await stream.next();
    if (next.done) throw new Error(`the stream ended before '${text}' came; it sent: ${JSON.stringify(output)}`);
    output += next.value.output;
  }
  return output;
}

describe('commands as resources', () => {
  it('lists the session\'s commands and gets one by id, typed', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    const result = await s.exec('echo hi; exit 4');
    const listed = await s.listExecs();
    expect(listed.map((e) => e.execId)).toContain(result.execId);
    const info = await s.getExec(result.execId!);
    expect(info).toMatchObject({
      execId: result.execId,
      cmd: 'echo hi; exit 4',
      cmdTruncated: false,
      state: 'exited',
      exitCode: 4,
      cwd: '/workspace',
      stdoutBytes: 3,
      stderrBytes: 0,
      background: false,
      pty: false,
      stateLost: false,
    });
    expect(info.createdAt).toBeInstanceOf(Date);
    expect(info.startedAt).toBeInstanceOf(Date);
    expect(info.finishedAt!.getTime()).toBeGreaterThanOrEqual(info.startedAt!.getTime());
    expect(info.durationMs).toBeGreaterThanOrEqual(0);
    expect(info.timeoutMs).toBeGreaterThan(0);
  });

  it('an unknown exec id is NotFoundError EXEC_NOT_FOUND, with a hint about the history', async () => {
    const error = await session.getExec('ex_unknown').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'EXEC_NOT_FOUND' });
    expect((error as Error).message).toMatch(/last 100 finished/);
    expect(await session.cancel('ex_unknown')).toBe(false);
  });
});

describe('attach', () => {
  it('replays a finished command from the start, and from an event id', async () => {
    const result = await session.exec('for i in $(seq 1 40); do echo "line $i"; sleep 0.005; done; echo oops >&2');
    const all = await chunksOf(session.attach(result.execId!));
    const done = all.at(-1)!;
    expect(done).toMatchObject({ kind: 'done', exitCode: 0, execId: result.execId });
    const output = all.filter((c) => c.kind === 'output');
    expect(output.filter((c) => c.stream === 'stdout').map((c) => c.output).join('')).toBe(result.stdout);
    expect(output.filter((c) => c.stream === 'stderr').map((c) => c.output).join('')).toBe('oops\n');
    expect(output.every((c) => typeof c.eventId === 'number')).toBe(true);

    // From the id of a chunk in the middle: exactly what came after it.
    const middle = Math.floor(output.length / 2);
    const rest = await chunksOf(session.attach(result.execId!, { from: output[middle]!.eventId! }));
    const restText = rest.map((c) => c.output).join('');
    expect(restText).toBe(output.slice(middle + 1).map((c) => c.output).join(''));
    expect(rest.at(-1)).toMatchObject({ kind: 'done', exitCode: 0 });
  });

  it('two attached consumers of a running command see the same sequence', async () => {
    const job = await session.execBackground('for i in $(seq 1 30); do echo "tick $i"; sleep 0.02; done');
    const [a, b] = await Promise.all([chunksOf(job.stream()), chunksOf(session.attach(job))]);
    const shape = (chunks: ExecChunk[]) => chunks.map((c) => [c.kind, c.eventId, c.stream, c.output]);
    expect(shape(a)).toEqual(shape(b));
    expect(a.map((c) => c.output).join('')).toBe(Array.from({ length: 30 }, (_, i) => `tick ${i + 1}\n`).join(''));
  });

  it('surfaces output the daemon dropped as a gap chunk, never silently', async () => {
    // Nobody watches while it writes 10 MB; the test daemon keeps 4 MiB of a command's output.
    const job = await session.execBackground("head -c 10000000 /dev/zero | tr '\\0' a; echo; echo end");
    expect((await job.wait()).state).toBe('exited');
    let text = 0;
    let gapBytes = 0;
    const gaps: ExecChunk[] = [];
    let tail = '';
    for await (const chunk of job.stream({ chunkSize: 1 << 20 })) {
      if (chunk.kind === 'gap') {
        gaps.push(chunk);
        gapBytes += chunk.gap.bytes;
      }
      text += chunk.output.length;
      tail = (tail + chunk.output).slice(-10);
    }
    expect(gaps.length).toBeGreaterThanOrEqual(1);
    const gap = gaps[0]!;
    expect(gap).toMatchObject({ done: false, output: '', stream: null });
    expect(gap.gap!.to - gap.gap!.from).toBe(gap.gap!.bytes);
    expect(gap.eventId).toBe(gap.gap!.to);
    // What came plus what was dropped is all of it.
    expect(text + gapBytes).toBe(10_000_000 + 5);
    expect(tail.endsWith('a\nend\n')).toBe(true);
  });

  it('rejects a from past the output (BadRequestError) and a bad from at once (TypeError)', async () => {
    const result = await session.exec('echo short');
    await expect(collect(session.attach(result.execId!, { from: 10_000 }))).rejects.toBeInstanceOf(BadRequestError);
    expect(() => session.attach(result.execId!, { from: -1 })).toThrow(TypeError);
    expect(() => session.attach('')).toThrow(TypeError);
  });

  it('leaving an attached stream does not cancel the command', async () => {
    const job = await session.execBackground('echo first; sleep 2; echo second');
    for await (const chunk of job.stream()) {
      if (chunk.output) break;
    }
    const info = await job.wait();
    expect(info).toMatchObject({ state: 'exited', exitCode: 0, stdoutBytes: 'first\nsecond\n'.length });
  });
});

describe('background commands', () => {
  it('answers at once with a handle; wait() resolves with the exit code; the session runs on beside it', async () => {
    const s = pool.track(await client.createSession({ image: 'base' }));
    const started = Date.now();
    const job = await s.execBackground('sleep 1; echo done; exit 3');
    expect(job).toBeInstanceOf(ExecHandle);
    expect(job.id).toMatch(/^ex_/);
    expect(Date.now() - started).toBeLessThan(900);
    expect(['queued', 'running']).toContain((await job.info()).state);
    // The next command does not wait for it.
    expect((await s.exec('echo beside')).output).toBe('beside\n');
    expect((await job.info()).state).toBe('running');
    const info = await job.wait();
    expect(info).toMatchObject({ execId: job.id, state: 'exited', exitCode: 3, background: true });
    expect(info.durationMs).toBeGreaterThan(500);
    expect((await collect(job.stream())).output).toBe('done\n');
  });

  it('cancel() ends it', async () => {
    const job = await session.execBackground('sleep 300');
    expect(await job.cancel()).toBe(true);
    const info = await job.wait({ signal: AbortSignal.timeout(10_000) });
    expect(info.state).toBe('cancelled');
    expect(await job.cancel()).toBe(false);
  });

  it('wait() stops waiting when its signal aborts; the command runs on', async () => {
    const job = await session.execBackground('sleep 300');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('enough')), 200);
    await expect(job.wait({ signal: controller.signal })).rejects.toThrow('enough');
    expect((await job.info()).state).toBe('running');
    await job.cancel();
  });
});

describe('stdin', () => {
  it('writes text and bytes, then closes, driving read and cat', async () => {
    const job = await session.execBackground('read a; read b; echo "$b $a"; cat', { stdin: true });
    await job.writeStdin('one\ntwo\n');
    await job.writeStdin(new Uint8Array([0x72, 0xc3, 0xa9, 0x00, 0x73, 0x74])); // 'ré\0st'
    await job.closeStdin();
    expect(await job.wait()).toMatchObject({ state: 'exited', exitCode: 0 });
    const { output } = await collect(job.stream({ encoding: 'base64' }));
    expect(Buffer.from(output, 'base64').toString('latin1')).toBe('two one\nr\xc3\xa9\x00st');
    const late = await job.writeStdin('too late').catch((e: unknown) => e);
    expect(late).toBeInstanceOf(ConflictError);
    expect(late).toMatchObject({ status: 409, code: 'STDIN_CLOSED' });
  });

  it('open() names a streaming command before any output, to feed it', async () => {
    const stream = session.execStream('read -r name; echo "hi $name"', { stdin: true });
    const execId = await stream.open();
    expect(execId).toMatch(/^ex_/);
    expect(stream.execId).toBe(execId);
    expect(await stream.open()).toBe(execId);
    await session.writeStdin(execId, 'Ada\n');
    const { output, last } = await collect(stream);
    expect(output).toBe('hi Ada\n');
    expect(last).toMatchObject({ done: true, exitCode: 0, execId });

    const gone = await client.createSession({ image: 'base' });
    await gone.destroy();
    const failing = gone.execStream('true');
    await expect(failing.open()).rejects.toMatchObject({ status: 410 });
    await expect(failing.next()).rejects.toMatchObject({ status: 410 });
  });

  it('feeds a streaming command, named by its stream', async () => {
    const stream = session.execStream('echo ready; tr a-z A-Z', { stdin: true });
    expect(await readUntil(stream, 'ready\n')).toBe('ready\n');
    await session.writeStdin(stream, 'shout\n', { close: true });
    const { output, last } = await collect(stream);
    expect(output).toBe('SHOUT\n');
    expect(last).toMatchObject({ done: true, exitCode: 0 });
  });

  it('a command without stdin is ConflictError NO_STDIN, saying how to get one', async () => {
    const job = await session.execBackground('sleep 5');
    const error = await job.writeStdin('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'NO_STDIN' });
    expect((error as Error).message).toMatch(/stdin: true/);
    await job.cancel();
    await expect(session.writeStdin(job, 42 as unknown as string)).rejects.toThrow(TypeError);
  });
});

describe('signals', () => {
  it('SIGINT stops a foreground python like Ctrl-C; the command goes on and the shell still works', async () => {
    const s = pool.track(await client.createSession({ image: 'python' }));
    const stream = s.execStream(`python3 -c 'import time; print("ready", flush=True); time.sleep(100)'; echo "after $?"`);
    await readUntil(stream, 'ready\n');
    expect(await s.signal(stream, 'SIGINT')).toBeGreaterThanOrEqual(1);
    const rest: ExecChunk[] = await chunksOf(stream);
    const text = (name: string) => rest.filter((c) => c.stream === name).map((c) => c.output).join('');
    expect(text('stderr')).toContain('KeyboardInterrupt');
    expect(text('stdout')).toMatch(/after 130\n/);
    expect(rest.at(-1)).toMatchObject({ kind: 'done', exitCode: 0 });
    expect((await s.exec('echo ok')).output).toBe('ok\n');
  });

  it('SIGINT through a background handle ends python; an ended command is ConflictError', async () => {
    const s = pool.track(await client.createSession({ image: 'python' }));
    const job = await s.execBackground(`python3 -c 'import time; print("ready", flush=True); time.sleep(100)'`);
    // Signals reach processes only: wait until python runs.
    const watch = job.stream();
    await readUntil(watch, 'ready\n');
    await watch.close();
    expect(await job.signal('int')).toBeGreaterThanOrEqual(1);
    const info = await job.wait({ signal: AbortSignal.timeout(10_000) });
    expect(info).toMatchObject({ state: 'exited', exitCode: 130 });
    expect((await collect(job.stream())).output).toContain('KeyboardInterrupt');
    expect((await s.exec('echo ok')).output).toBe('ok\n');
    const error = await job.signal('SIGTERM').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'EXEC_NOT_RUNNING' });
    await expect(s.signal(job, 'SIGNOPE')).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('terminal', () => {
  it('runs a command on a pseudo-terminal of the size asked for', async () => {
    const result = await session.exec('test -t 1 && echo tty; stty size', { pty: true, cols: 100, rows: 30 });
    expect(result.output).toBe('tty\n30 100\n');
    const { output } = await collect(session.execStream('test -t 1 && echo tty || echo pipe', { pty: true }));
    expect(output).toBe('tty\n');
    expect((await session.exec('test -t 1 && echo tty || echo pipe')).output).toBe('pipe\n');
  });

  it('resize() changes the size of a running terminal', async () => {
    const stream = session.execStream('echo ready; read x; stty size', { pty: true, stdin: true, cols: 80, rows: 24 });
    await readUntil(stream, 'ready\n');
    await session.resize(stream, 120, 40);
    await session.writeStdin(stream, '\n');
    const { output } = await collect(stream);
    expect(output).toContain('40 120\n');
  });

  it('a background terminal is resized through its handle; without a terminal it is ConflictError NO_PTY', async () => {
    const job = await session.execBackground('read x; stty size', { pty: true, stdin: true });
    // The terminal opens once the command runs; until then the daemon answers EXEC_NOT_RUNNING.
    for (let i = 0; ; i++) {
      const error = await job.resize(132, 43).catch((e: unknown) => e);
      if (error === undefined) break;
      expect(error).toMatchObject({ code: 'EXEC_NOT_RUNNING' });
      if (i > 100) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
    await job.writeStdin('\n');
    await job.wait();
    expect((await collect(job.stream())).output).toContain('43 132\n');

    const plain = await session.execBackground('sleep 5');
    await expect(plain.resize(100, 30)).rejects.toMatchObject({ code: 'NO_PTY' });
    await plain.cancel();
    expect(() => session.execStream('true', { cols: 0 })).toThrow(/cols must be a positive integer/);
  });
});
