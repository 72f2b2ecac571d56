// The TypeScript example of the streaming document ("SDK Usage > TypeScript"), pasted without
// a single change between the markers; the test supplies `session` and reads what it printed.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';

import type { Session } from '../src/index.js';
import { SessionPool, testClient } from './helpers.js';

const pool = new SessionPool();
let session: Session;

beforeAll(async () => {
  // The document's client defaults: the `python` image, where pip exists.
  session = pool.track(await testClient().createSession());
});
afterAll(() => pool.destroyAll());

it("runs the streaming document's TypeScript example unchanged", async () => {
  const logged: string[] = [];
  const written: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logged.push(args.join(' '));
  });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((text: string | Uint8Array) => {
    written.push(String(text));
    return true;
  });
  try {
    // ---- begin example ----
// Blocking
const result = await session.exec('echo hello');
console.log(result.output);

// Streaming
for await (const chunk of session.execStream('pip install requests')) {
    process.stdout.write(chunk.output);

    if (chunk.done) {
        console.log(`\nExit code: ${chunk.exitCode}`);
    }
}
    // ---- end example ----
  } finally {
    log.mockRestore();
    write.mockRestore();
  }

  expect(logged[0]).toBe('hello\n');
  // The sandbox has no network: pip runs and fails, and the example reports how it ended.
  expect(logged[1]).toMatch(/^\nExit code: \d+$/);
  expect(written.join('')).toMatch(/pip|error|requests/i);
});
