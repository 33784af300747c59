// The runtimes CI tests on, fetched from the npm registry with npm itself and
// cached (download once per machine). Shared by fetch.mjs, matrix.mjs and smoke.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node majors of the matrix: every release line `engines.node` claims that is still published. */
export const NODE_MAJORS = [20, 22, 24, 26];
/** Bun is pinned: its platform package is taken directly (the `bun` package's install script is blocked by npm). */
export const BUN_VERSION = '1.4.5';
/** Deno's npm package resolves its platform binary through an optional dependency; pinned to a major. */
export const DENO_RANGE = '2';

/** Where runtimes are cached: $ONELINE_RUNTIMES_DIR, else `.cache/runtimes` in the repo (git-ignored). */
export function cacheDir() {
  return process.env.ONELINE_RUNTIMES_DIR || join(root, '.cache', 'runtimes');
}

function npm(args, cwd) {
  execFileSync('npm', [...args, '--loglevel=error'], { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
}

/**
 * Fetches into a temporary sibling folder and renames it into place only when
 * complete, so an interrupted download is never mistaken for a cached one.
 */
function fetchInto(dir, fill) {
  if (existsSync(join(dir, '.complete'))) return false;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  fill(tmp);
  writeFileSync(join(tmp, '.complete'), new Date().toISOString() + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return true;
}

const platform = `${process.platform}-${process.arch}`;

/** @returns {{ name: string, bin: string, fetched: boolean }} */
export function fetchNode(major) {
  const dir = join(cacheDir(), `node-${major}`);
  const pkg = `node-${platform}`;
  const fetched = fetchInto(dir, (tmp) => npm(['install', '--prefix', tmp, '--no-save', '--no-audit', '--no-fund', `${pkg}@${major}`], tmp));
  return { name: `node ${major}`, bin: join(dir, 'node_modules', pkg, 'bin', 'node'), fetched };
}

export function fetchBun() {
  const dir = join(cacheDir(), `bun-${BUN_VERSION}`);
  const fetched = fetchInto(dir, (tmp) => {
    npm(['pack', `@oven/bun-${platform}@${BUN_VERSION}`, '--pack-destination', tmp], tmp);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack left no tarball for bun');
    execFileSync('tar', ['xzf', tgz], { cwd: tmp });
    rmSync(join(tmp, tgz));
  });
  return { name: `bun ${BUN_VERSION}`, bin: join(dir, 'package', 'bin', 'bun'), fetched };
}

export function fetchDeno() {
  const dir = join(cacheDir(), `deno-${DENO_RANGE}`);
  const fetched = fetchInto(dir, (tmp) => npm(['install', '--prefix', tmp, '--no-save', '--no-audit', '--no-fund', `deno@${DENO_RANGE}`], tmp));
  const scope = join(dir, 'node_modules', '@deno');
  const sub = existsSync(scope) ? readdirSync(scope).find((d) => d.startsWith(`${process.platform}-`)) : undefined;
  return { name: `deno ${DENO_RANGE}.x`, bin: sub ? join(scope, sub, process.platform === 'win32' ? 'deno.exe' : 'deno') : join(scope, 'missing', 'deno'), fetched };
}
