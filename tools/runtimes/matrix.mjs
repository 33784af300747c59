#!/usr/bin/env node
// The runtime matrix CI runs after the main `npm test` (which runs on the
// machine's own Node): fetches the runtimes once (see runtimes.mjs), then
//   1. every package's jest suite on each other Node major of the matrix,
//      with that Node first on PATH (jest run directly: Nx's cache does not
//      key on the Node version and would replay the host's results);
//   2. the install check's consumers (ESM, CommonJS, a default Jest project)
//      from the packed tarballs on every Node of the matrix;
//   3. the smoke test of the built packages on Bun and Deno.
// Needs the packages built (the main `npm test` builds them).
// Prints one summary line per run and exits non-zero if any run failed.
// Usage: node tools/runtimes/matrix.mjs [--only node|install|smoke]
import { spawnSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { NODE_MAJORS, fetchBun, fetchDeno, fetchNode, root } from './runtimes.mjs';

const SUITES = ['packages/protocol', 'packages/server', 'packages/client', 'packages/sample', 'tools/reliability'];
const only = process.argv[2] === '--only' ? process.argv[3] : undefined;
const hostMajor = Number(process.versions.node.split('.')[0]);
const summary = [];
let failed = false;

/** Runs a command with its output passed through; returns its status and output. */
function run(cmd, args, { cwd = root, path } = {}) {
  const env = { ...process.env, FORCE_COLOR: '0' };
  if (path) env.PATH = `${path}${delimiter}${env.PATH}`;
  const res = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(res.stdout ?? '');
  process.stderr.write(res.stderr ?? '');
  return { status: res.status ?? 1, out: `${res.stdout ?? ''}\n${res.stderr ?? ''}` };
}

/** Sums jest's `Tests:` lines ("Tests: 1 failed, 2 skipped, 40 passed, 43 total"). */
function jestCounts(out) {
  const c = { passed: 0, failed: 0 };
  for (const line of out.split('\n')) {
    if (!line.startsWith('Tests:')) continue;
    for (const [, n, what] of line.matchAll(/(\d+) (passed|failed)/g)) c[what] += Number(n);
  }
  return c;
}

const nodes = NODE_MAJORS.filter((m) => m !== hostMajor).map(fetchNode);
console.log(`== runtime matrix: host node ${process.version} (tested by the main npm test); matrix: ${nodes.map((n) => n.name).join(', ')}, bun, deno`);

if (!only || only === 'node') {
  for (const node of nodes) {
    const binDir = dirname(node.bin);
    const version = run(node.bin, ['--version']).out.trim();
    const totals = { passed: 0, failed: 0 };
    let ok = true;
    for (const suite of SUITES) {
      console.log(`== ${node.name} (${version}): ${suite}: npm test`);
      const res = run('npm', ['test', '--silent'], { cwd: join(root, suite), path: binDir });
      const c = jestCounts(res.out);
      totals.passed += c.passed;
      totals.failed += c.failed;
      if (res.status !== 0) ok = false;
    }
    failed ||= !ok;
    summary.push(`matrix ${node.name} (${version}): jest ${totals.passed} passed, ${totals.failed} failed${ok ? '' : ' (FAILED)'}`);
  }
}

if (!only || only === 'install') {
  console.log('== install check on every Node of the matrix (packed tarballs: ESM, CommonJS, default Jest project; tsc)');
  const res = run(process.execPath, [join(root, 'tools', 'install-check', 'check.mjs'), ...nodes.flatMap((n) => ['--node', n.bin])]);
  failed ||= res.status !== 0;
  summary.push(`matrix install check (node ${[hostMajor, ...nodes.map((n) => n.name.split(' ')[1])].join(', ')}): ${res.status === 0 ? 'passed' : 'FAILED'}`);
}

if (!only || only === 'smoke') {
  const smoke = join(root, 'tools', 'runtimes', 'smoke.mjs');
  for (const [rt, args] of [
    [fetchBun(), [smoke]],
    [fetchDeno(), ['run', '-A', smoke]],
  ]) {
    console.log(`== ${rt.name}: smoke test of the built packages`);
    const res = run(rt.bin, args);
    const line = res.out.split('\n').find((l) => / passed, \d+ failed, \d+ skipped$/.test(l)) ?? 'no summary line';
    failed ||= res.status !== 0;
    summary.push(`matrix ${line.replace(/^smoke \(/, 'smoke (')}${res.status === 0 ? '' : ' (FAILED)'}`);
  }
}

console.log('== runtime matrix summary');
for (const line of summary) console.log(line);
process.exitCode = failed ? 1 : 0;
