import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BadRequestError, CommandTimeoutError, StreamError, type Session } from '../src/index.js';
import { SessionPool, testClient } from './helpers.js';

const pool = new SessionPool();
let session: Session;

beforeAll(async () => {
  session = pool.track(await testClient().createSession({ image: 'base' }));
});
afterAll(() => pool.destroyAll());

describe('blocking exec', () => {
  it('returns output, exit code, cwd, timing, and the streams apart', async () => {
    const result = await session.exec('echo hello; echo oops >&2');
    // The two pipes are read concurrently, so their interleaving in `output` is not fixed.
    expect(result.output.split('\n').sort()).toEqual(['', 'hello', 'oops']);
    expect(result).toMatchObject({
      stdout: 'hello\n',
      stderr: 'oops\n',
      exitCode: 0,
      cwd: '/workspace',
      truncated: false,
      stateLost: false,
      omittedBytes: 0,
    });
    expect(result.execId).toMatch(/^ex_/);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('a failing command is a result with its exit code, not an error', async () => {
    const result = await session.exec('echo before; exit 3');
    expect(result.exitCode).toBe(3);
    expect(result.output).toBe('before\n');
  });

  it('keeps shell state between commands', async () => {
    await session.exec('cd /tmp && export SK_VAR=kept && greet() { echo "hi $1"; }');
    const result = await session.exec('echo "$SK_VAR $(pwd)"; greet you');
    expect(result.output).toBe('kept /tmp\nhi you\n');
    expect(result.cwd).toBe('/tmp');
    await session.exec('cd /workspace');
  });

  it('passes env and cwd for one command only', async () => {
    const result = await session.exec('echo "$ONLY_HERE"; pwd', { env: { ONLY_HERE: 'yes' }, cwd: '/tmp' });
    expect(result.output).toBe('yes\n/tmp\n');
    expect((await session.exec('echo "[$ONLY_HERE]"; pwd')).output).toBe('[]\n/workspace\n');
  });

  it('sends commands with quotes, newlines and non-ASCII text exactly', async () => {
    const cmd = `cat <<'EOF'\nsingle ' double " back \\ dollar $HOME\nGrüße 🌍\nEOF`;
    const result = await session.exec(cmd);
    expect(result.output).toBe(`single ' double " back \\ dollar $HOME\nGrüße 🌍\n`);
  });

  it('gives byte-exact output as base64 when asked', async () => {
    const result = await session.exec("printf '\\x00\\xff\\x01'", { encoding: 'base64' });
    expect(result.stdout).toBe(Buffer.from([0, 255, 1]).toString('base64'));
  });

  it('reports truncation of large output', async () => {
    // The test daemon keeps 64 KiB of output.
    const result = await session.exec('head -c 200000 /dev/zero | tr "\\0" x');
    expect(result.truncated).toBe(true);
    expect(result.omittedBytes).toBeGreaterThan(100_000);
    expect(result.output).toMatch(/omitted/);
  });

  it('a timeout is CommandTimeoutError carrying the partial output, and the session goes on', async () => {
    const error = await session.exec('echo partial; sleep 30', { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error).toBeInstanceOf(StreamError);
    const timeout = error as CommandTimeoutError;
    expect(timeout.code).toBe('COMMAND_TIMEOUT');
    expect(timeout.output).toContain('partial\n');
    expect(timeout.result).toMatchObject({ stdout: 'partial\n', exitCode: expect.any(Number) });
    expect(timeout.execId).toMatch(/^ex_/);
    expect(timeout.durationMs).toBeGreaterThanOrEqual(500);
    expect(timeout.message).toMatch(/timed out.*Pass a larger timeoutMs/);
    expect((await session.exec('echo next')).output).toBe('next\n');
  });

  it('rejects bad arguments before sending them', async () => {
    await expect(session.exec('true', { timeoutMs: -5 })).rejects.toThrow(/timeoutMs must be a positive integer/);
    await expect(session.exec('true', { timeoutMs: 1.5 })).rejects.toThrow(TypeError);
    await expect(session.exec(42 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('what the daemon rejects is BadRequestError naming the field', async () => {
    const error = await session.exec('true', { env: { 'A=B': 'x' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).detail).toMatch(/env key 'A=B'/);
  });
});
