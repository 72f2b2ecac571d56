// The stream decoders against text split at every possible byte boundary. Pure unit tests:
// they need no daemon (the HTTP path is covered by the integration tests).
import { describe, expect, it } from 'vitest';

import { bufferDecoder, textDecoder, type StreamDecoder } from '../src/utf8.js';

const TEXT = 'a ä € 😀 z\nGrüße, 世界! 🌍🚀 end';
const BYTES = new TextEncoder().encode(TEXT);

function decodeInPieces(decoder: StreamDecoder, bytes: Uint8Array, cuts: number[]): string {
  let out = '';
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out += decoder(bytes.subarray(from, cut));
    from = cut;
  }
  return out + decoder(new Uint8Array(0), true);
}

const decoders: [string, () => StreamDecoder][] = [
  ['Buffer', () => bufferDecoder(Buffer)],
  ['TextDecoder', textDecoder],
];

describe.each(decoders)('%s decoder', (_name, make) => {
  it('keeps characters whole at every single cut', () => {
    for (let cut = 0; cut <= BYTES.length; cut++) {
      expect(decodeInPieces(make(), BYTES, [cut])).toBe(TEXT);
    }
  });

  it('keeps characters whole when fed one byte at a time', () => {
    const cuts = Array.from({ length: BYTES.length - 1 }, (_, i) => i + 1);
    expect(decodeInPieces(make(), BYTES, cuts)).toBe(TEXT);
  });

  it('keeps characters whole at every pair of cuts', () => {
    for (let a = 0; a <= BYTES.length; a++) {
      for (let b = a; b <= BYTES.length; b++) {
        expect(decodeInPieces(make(), BYTES, [a, b])).toBe(TEXT);
      }
    }
  });

  it('turns invalid and unfinished sequences into U+FFFD like TextDecoder does', () => {
    const bad = Uint8Array.from([0x61, 0xff, 0x62, 0xe2, 0x82, 0x63, 0xf0, 0x9f]);
    const expected = new TextDecoder().decode(bad);
    for (let cut = 0; cut <= bad.length; cut++) {
      expect(decodeInPieces(make(), bad, [cut])).toBe(expected);
    }
  });
});
