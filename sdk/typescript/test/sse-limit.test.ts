// The SSE feed's size limit, with pure input (no I/O).
import { describe, expect, it } from 'vitest';

import { StreamError } from '../src/index.js';
import { EventFeed, MAX_EVENT_BYTES } from '../src/stream.js';

function feedAll(feed: EventFeed, pieces: string[]): void {
  for (const piece of pieces) feed.feed(piece, Buffer.byteLength(piece), 'ex_1');
}

describe('the SSE feed', () => {
  it('passes events through and resets its count at each one', () => {
    const feed = new EventFeed(100);
    // 10 events of ~40 bytes: 400 bytes in all, but never 100 without a complete event.
    feedAll(feed, Array.from({ length: 10 }, (_, i) => `event: chunk\ndata: {"n":${i}}\n\n:\n\n`));
    expect(feed.events.map((e) => e.data)).toEqual(Array.from({ length: 10 }, (_, i) => `{"n":${i}}`));
  });

  it('refuses a line without end, like the other SDKs, naming the peer', () => {
    const feed = new EventFeed(1000);
    feed.feed('data: ', 6);
    let error: unknown;
    try {
      for (let i = 0; i < 20; i++) feed.feed('x'.repeat(100), 100, 'ex_1');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ execId: 'ex_1' });
    expect((error as Error).message).toMatch(/longer than 1000 bytes, so the peer is not a Sandkasten daemon/);
  });

  it('refuses an event whose data lines never end in a blank line', () => {
    const feed = new EventFeed(1000);
    expect(() => feedAll(feed, Array.from({ length: 200 }, () => 'data: yyyyyyyyyy\n'))).toThrow(StreamError);
  });

  it('uses the Java and Python limit by default', () => {
    expect(MAX_EVENT_BYTES).toBe(64 << 20);
  });
});
