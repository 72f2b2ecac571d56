// Starts the real daemon for the test run (free port, fresh data dir, fixed key) and stops it
// afterwards, whatever happened. Tests read its address with inject('daemon').
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    daemon: { baseUrl: string; apiKey: string };
  }
}

const API_KEY = 'sdk-typescript-test-key-0123456789';
const START_TIMEOUT_MS = 120_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const jar = process.env.SANDKASTEN_SERVER_JAR;
  if (!jar || !existsSync(jar)) {
    throw new Error(
      `SANDKASTEN_SERVER_JAR must name the daemon jar (got '${jar ?? ''}'); ` +
        'run the suite with ./sandkasten test typescript from the repository root',
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'sandkasten-ts-'));
  // mkdtemp makes it 0700; the sandboxes' unprivileged uid must be able to pass through.
  chmodSync(dataDir, 0o755);
  const logFile = join(dataDir, 'daemon.log');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  // The daemon reads SANDKASTEN_* settings from its environment; only ours may reach it.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SANDKASTEN_')) env[k] = v;
  Object.assign(env, {
    SANDKASTEN_API_KEY: API_KEY,
    // Long enough that a test passes only if the client cancels by itself, not by hanging up.
    SANDKASTEN_DISCONNECT_GRACE_MS: '60000',
    SANDKASTEN_MAX_OUTPUT_BYTES: '64k',
    // Small enough that tests reach them with a few MB: the output log's cap (so that output
    // nobody watched is dropped, a gap) and the largest file.
    SANDKASTEN_EXEC_LOG_MAX_BYTES: '4MiB',
    SANDKASTEN_MAX_FILE_BYTES: '48MiB',
  });
  const log = createWriteStream(logFile);
  const daemon = spawn(
    'java',
    ['-XX:+UseSerialGC', '-Xms64m', '-Xmx512m', '-jar', jar, 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', join(dataDir, 'data')],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  daemon.stdout!.pipe(log);
  daemon.stderr!.pipe(log);

  const stop = async (): Promise<void> => {
    await terminate(daemon);
    log.end();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitHealthy(baseUrl, daemon);
  } catch (e) {
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '';
    await stop();
    throw new Error(`${(e as Error).message}\n--- daemon log ---\n${tail}`);
  }
  project.provide('daemon', { baseUrl, apiKey: API_KEY });
  return stop;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitHealthy(baseUrl: string, daemon: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (daemon.exitCode !== null || daemon.signalCode !== null) {
      throw new Error(`the daemon exited during start-up (${daemon.exitCode ?? daemon.signalCode})`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the daemon did not answer ${baseUrl}/healthz within ${START_TIMEOUT_MS / 1000} s`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  // It destroys its sandboxes on SIGTERM; give it time before forcing.
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
