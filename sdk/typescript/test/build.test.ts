// The built package (dist/, made by `npm run build` before the tests) loads both ways and its
// type declarations serve both kinds of consumer. The package imports itself by name, which
// resolves through package.json "exports" exactly as it would for a user.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Run inside a fresh node so that vitest's own module loading plays no part.
function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

const PROBE = `
  const names = Object.keys(m).sort();
  const client = new m.SandboxClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'key' });
  const timeout = new m.CommandTimeoutError('t', { output: 'so far' });
  const gone = new m.SessionGoneError(410, 'SESSION_GONE', 'gone');
  console.log(JSON.stringify({
    names,
    client: client instanceof m.SandboxClient && client.baseUrl,
    timeout: timeout instanceof m.StreamError && timeout instanceof m.SandkastenError && timeout.name + ':' + timeout.output,
    gone: gone instanceof m.APIError && gone.name + ':' + gone.status,
  }));
`;

const EXPECTED = {
  names: [
    'APIError',
    'AuthenticationError',
    'BadRequestError',
    'CommandCancelledError',
    'CommandTimeoutError',
    'ConflictError',
    'DEFAULT_BASE_URL',
    'ExecHandle',
    'ExecStream',
    'Files',
    'InternalServerError',
    'NotFoundError',
    'PayloadTooLargeError',
    'QuotaExceededError',
    'SandboxClient',
    'SandkastenConnectionError',
    'SandkastenError',
    'ServiceUnavailableError',
    'Session',
    'SessionGoneError',
    'StreamError',
    'Workspace',
  ],
  client: 'http://127.0.0.1:1',
  timeout: 'CommandTimeoutError:so far',
  gone: 'SessionGoneError:410',
};

describe('built package', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/esm/index.js')) || !existsSync(join(root, 'dist/cjs/index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (run-tests.sh does)');
    }
  });

  it('loads with import (ESM)', () => {
    const out = node(['--input-type=module', '-e', `import * as m from '@sandkasten/client'; ${PROBE}`]);
    expect(JSON.parse(out)).toEqual(EXPECTED);
  });

  it('loads with require (CommonJS)', () => {
    const out = node(['-e', `const m = require('@sandkasten/client'); ${PROBE}`]);
    expect(JSON.parse(out)).toEqual(EXPECTED);
  });

  it('type-checks for ESM and CommonJS consumers under Node16 resolution', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    // Throws with tsc's diagnostics in the message when the declarations are wrong.
    node([tsc, '-p', join(root, 'test/fixtures/tsconfig.json')]);
  });
});
