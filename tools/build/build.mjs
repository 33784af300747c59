#!/usr/bin/env node
// Builds the publishable package in the current folder both ways: ESM into
// dist/ (tsconfig.lib.json) and CommonJS into dist/cjs/ (tsconfig.cjs.json),
// then marks dist/cjs as CommonJS, since the package itself is "type": "module".
// tsc --build also builds the referenced sibling packages, so every
// packages/*/dist/cjs present gets its marker, not only this package's.
// Used by each package's Nx `build` target and its `prepack` script, so
// `npm pack` in a fresh clone ships both builds.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '--build', 'tsconfig.lib.json', 'tsconfig.cjs.json'], { stdio: 'inherit' });
for (const pkg of readdirSync(join(root, 'packages'))) {
  const cjs = join(root, 'packages', pkg, 'dist', 'cjs');
  if (existsSync(cjs)) writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
}
