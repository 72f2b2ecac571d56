// Streams `head -c N /dev/zero | tr '\0' a` through execStream and prints one JSON line:
// how many bytes and chunks reached the consumer, and how fast. Reads SANDKASTEN_URL,
// SANDKASTEN_API_KEY, SANDKASTEN_BENCH_BYTES (default 1 GiB) and, optionally,
// SANDKASTEN_BENCH_CHUNK_SIZE (the daemon's default when unset).
import { SandboxClient } from '../dist/esm/index.js';

const bytes = Number(process.env.SANDKASTEN_BENCH_BYTES ?? 1 << 30);
if (!Number.isSafeInteger(bytes) || bytes <= 0) {
  console.error(`SANDKASTEN_BENCH_BYTES must be a positive integer, got '${process.env.SANDKASTEN_BENCH_BYTES}'`);
  process.exit(2);
}
const chunkSize = process.env.SANDKASTEN_BENCH_CHUNK_SIZE ? Number(process.env.SANDKASTEN_BENCH_CHUNK_SIZE) : undefined;

const client = new SandboxClient();
const session = await client.createSession({ image: 'base' });
try {
  let received = 0;
  let chunks = 0;
  let exitCode = null;
  const started = performance.now();
  for await (const chunk of session.execStream(`head -c ${bytes} /dev/zero | tr '\\0' a`, {
    chunkSize,
    timeoutMs: 3_600_000,
  })) {
    if (chunk.done) {
      exitCode = chunk.exitCode;
    } else {
      // The text is all 'a', one byte per character; counting characters consumes every chunk.
      received += chunk.output.length;
      chunks++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (exitCode !== 0 || received !== bytes) {
    console.error(`bench: expected ${bytes} bytes and exit 0, got ${received} bytes and exit ${exitCode}`);
    process.exitCode = 1;
  }
  const round = (x, digits) => Number(x.toFixed(digits));
  console.log(
    JSON.stringify({
      sdk: 'typescript',
      bytes: received,
      seconds: round(seconds, 3),
      mb_per_s: round(received / 1e6 / seconds, 1),
      chunks,
      chunks_per_s: round(chunks / seconds, 1),
    }),
  );
} finally {
  await session.destroy();
}
