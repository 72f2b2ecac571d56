import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One daemon for the whole run, started from SANDKASTEN_SERVER_JAR.
    globalSetup: ['test/daemon.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores and a JVM: more workers only contend.
    maxWorkers: 2,
  },
});
