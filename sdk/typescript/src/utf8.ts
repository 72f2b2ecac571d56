/** Decodes a byte stream piece by piece; a character split between pieces comes out whole. */
export type StreamDecoder = (bytes: Uint8Array, final?: boolean) => string;

interface BufferLike {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'utf8'): string };
}

/**
 * The fastest UTF-8 stream decoder the platform has. Node's `Buffer` decodes several times
 * faster than its `TextDecoder` (about 6 GB/s against 1 GB/s for ASCII), which matters at
 * hundreds of MB/s of output; elsewhere (browsers) `TextDecoder` does the job.
 */
export function createDecoder(): StreamDecoder {
  const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
  return NodeBuffer ? bufferDecoder(NodeBuffer) : textDecoder();
}

/** `TextDecoder` in streaming mode. */
export function textDecoder(): StreamDecoder {
  const decoder = new TextDecoder();
  return (bytes, final = false) => decoder.decode(bytes, { stream: !final });
}

/**
 * `Buffer#toString`, which has no streaming mode: the bytes of a character that is not complete
 * at the end of a piece are held back and put in front of the next piece.
 */
export function bufferDecoder(NodeBuffer: BufferLike): StreamDecoder {
  const decode = (b: Uint8Array, from: number, to: number): string =>
    NodeBuffer.from(b.buffer, b.byteOffset + from, to - from).toString('utf8');
  let carry: Uint8Array | null = null;

  return (bytes, final = false) => {
    let head = '';
    let start = 0;
    if (carry !== null) {
      // Complete the held-back character with the continuation bytes that start this piece.
      const needed = sequenceLength(carry[0]!);
      let take = 0;
      while (take < bytes.length && carry.length + take < needed && isContinuation(bytes[take]!)) take++;
      if (carry.length + take < needed && take === bytes.length && !final) {
        const longer = new Uint8Array(carry.length + take);
        longer.set(carry);
        longer.set(bytes.subarray(0, take), carry.length);
        carry = longer;
        return '';
      }
      const joined = new Uint8Array(carry.length + take);
      joined.set(carry);
      joined.set(bytes.subarray(0, take), carry.length);
      head = decode(joined, 0, joined.length);
      carry = null;
      start = take;
    }
    const end = final ? bytes.length : completeEnd(bytes, start);
    if (end < bytes.length) carry = bytes.slice(end);
    return head + (end > start ? decode(bytes, start, end) : '');
  };
}

/** Where the last complete character of `bytes[start..]` ends: the start of an unfinished one, or the length. */
function completeEnd(bytes: Uint8Array, start: number): number {
  // A UTF-8 sequence is at most 4 bytes, so only the last 3 can start an unfinished one.
  for (let i = bytes.length - 1; i >= Math.max(start, bytes.length - 3); i--) {
    const b = bytes[i]!;
    if (isContinuation(b)) continue;
    return bytes.length - i < sequenceLength(b) ? i : bytes.length;
  }
  return bytes.length;
}

function isContinuation(b: number): boolean {
  return (b & 0xc0) === 0x80;
}

/** Length of the sequence a lead byte starts (1 for ASCII and for bytes that cannot lead one). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc2) return 2;
  return 1;
}
