// Every TypeScript example in README.md type-checks against the built package, so the README
// cannot drift from the API. Examples that use `client` or `session` without creating them get
// those declared.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

it('README examples type-check', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThanOrEqual(7);

  const dir = join(root, 'test/fixtures/.readme');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = blocks.map((code, i) => {
    // Aliased, so that an example's own imports of the same names do not clash.
    const prelude = ["import type { SandboxClient as ClientType, Session as SessionType } from '@sandkasten/client';"];
    if (!/\bconst client\b/.test(code)) prelude.push('declare const client: ClientType;');
    if (!/\bconst session\b/.test(code)) prelude.push('declare const session: SessionType;');
    const file = `example-${i + 1}.mts`;
    // Imports go first; the prelude's names are only needed where the example lacks them.
    const imports = code.split('\n').filter((line) => line.startsWith('import '));
    const body = code.split('\n').filter((line) => !line.startsWith('import '));
    writeFileSync(join(dir, file), [...imports, ...prelude, ...body, 'export {};', ''].join('\n'));
    return file;
  });
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'Node16',
        moduleResolution: 'Node16',
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files,
    }),
  );
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
  } catch (e) {
    throw new Error(`README examples do not type-check:\n${(e as { stdout?: string }).stdout ?? String(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
