#!/usr/bin/env node
// `npx nx run bench:json-profile`: where one sequential JSON call spends its
// time, on both ends. Runs our JSON server (serve.mjs json-ours) and one
// json-load.mjs client job, each in its own process under `node --cpu-prof`,
// for `--calls` sequential calls after the usual warm-up, then prints each
// side's top functions by self time (and by package), from the profiles.
//   node tools/bench/json-profile.mjs [--calls 20000] [--top 25] [--impl ours|floor|vscode|json-rpc-2.0] [--interval µs] [--keep DIR]
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args } from './common.mjs';
import { Loadgen, ServerProc } from './procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const opts = args();
const calls = Number(opts.calls ?? 20_000);
const top = Number(opts.top ?? 25);
const impl = String(opts.impl ?? 'ours');
const kinds = { ours: 'json-ours', vscode: 'json-vscode', 'json-rpc-2.0': 'json-rpc2', floor: 'json-floor' };
const dir = typeof opts.keep === 'string' ? opts.keep : mkdtempSync(join(os.tmpdir(), 'oneline-json-prof-'));

const interval = String(opts.interval ?? 25);
const prof = (side) => ['--cpu-prof', '--cpu-prof-interval', interval, '--cpu-prof-dir', join(dir, side)];
const server = new ServerProc('server', [process.execPath, ...prof('server'), join(here, 'serve.mjs'), kinds[impl]]);
const client = new Loadgen(join(here, 'json-load.mjs'), { execArgv: prof('client') });
try {
  await client.run({ kind: 'connect', impl, port: await server.port });
  await client.run({ kind: 'seq', count: 3000 }); // warm-up (in the profile too, a small share)
  const { rtts } = await client.run({ kind: 'seq', count: calls });
  await client.run({ kind: 'close' });
  rtts.sort((a, b) => a - b);
  console.log(`${impl}: ${calls} sequential calls under --cpu-prof, p50 ${rtts[rtts.length >> 1].toFixed(1)} µs (profiling slows both ends)`);
} finally {
  await client.stop();
  await server.stop();
}

/** Self time per function and per package of one .cpuprofile. */
function summarize(file) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const dt = (p.endTime - p.startTime) / Math.max(1, p.samples.length); // µs per sample
  const byFn = new Map();
  const byPkg = new Map();
  let total = 0;
  for (const n of p.nodes) {
    const f = n.callFrame;
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const url = f.url.replace(/^file:\/\//, '');
    const where = url === '' ? '' : `${url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
    const pkg = /\/packages\/(\w+)\//.exec(url)?.[1] ?? (url.startsWith('node:') ? 'node internals' : url === '' ? f.functionName : 'other JS');
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + hits);
  }
  return { dt, total, byFn, byPkg };
}

for (const side of ['client', 'server']) {
  const files = readdirSync(join(dir, side)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) {
    console.log(`\n== ${side}: no profile written`);
    continue;
  }
  const s = summarize(join(dir, side, files[0]));
  const pct = (h) => `${((100 * h) / s.total).toFixed(1).padStart(5)}%`;
  console.log(`\n== ${side}: ${s.total} samples (${(s.dt).toFixed(0)} µs each); self time by package`);
  for (const [k, h] of [...s.byPkg].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${pct(h)}  ${k}`);
  console.log(`-- top ${top} functions by self time`);
  for (const [k, h] of [...s.byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(h)}  ${k}`);
}
if (typeof opts.keep === 'string') console.log(`\nprofiles kept in ${dir} (open them in Chrome DevTools)`);
else rmSync(dir, { recursive: true, force: true });
