import { inject } from 'vitest';

import { NotFoundError, SandboxClient, SessionGoneError, type Session } from '../src/index.js';

/** A client for the daemon the global setup started. */
export function testClient(): SandboxClient {
  const { baseUrl, apiKey } = inject('daemon');
  return new SandboxClient({ baseUrl, apiKey });
}

/** Collects a stream's output text and its final chunk. */
export async function collect(stream: AsyncIterable<{ output: string; done: boolean }>) {
  let output = '';
  let last: unknown;
  for await (const chunk of stream) {
    output += chunk.output;
    last = chunk;
  }
  return { output, last };
}

/** Destroys sessions created by a test file, even if a test failed. */
export class SessionPool {
  private readonly sessions: Session[] = [];

  track(session: Session): Session {
    this.sessions.push(session);
    return session;
  }

  async destroyAll(): Promise<void> {
    // A test may have destroyed its session itself: that is fine here.
    await Promise.all(
      this.sessions.splice(0).map((s) =>
        s.destroy().catch((e: unknown) => {
          if (!(e instanceof SessionGoneError || e instanceof NotFoundError)) throw e;
        }),
      ),
    );
  }
}
