#!/usr/bin/env node
// `npx nx run bench:ab -- --ref <git ref>`: this work tree's server against
// the same server built from an earlier commit, both driven by the same raw
// load generator (loadgen.mjs), with the tight node:net floor alongside.
// Each server runs in its own process; warm-up rounds are discarded; the
// order rotates every round; figures are medians and same-round ratios.
// Answers "did this change make the server slower?" with a measurement
// rather than a memory of old figures.
//   node tools/bench/ab.mjs --ref 54c97fc [--rounds 9] [--handler sync|async]
//     [--line-bytes 6] [--count N] [--keep]
//   node tools/bench/ab.mjs --ref main --json [--rounds 7]
// With --json it runs the JSON benchmark's call (json.mjs) instead: this
// tree's jsonRouter server + JsonClient against the ref's, each pair in its
// own processes, with the NDJSON floor alongside; sequential p50/p99 and
// pipelined calls/s, same-round ratios.
// The ref is checked out with `git worktree` into a temporary folder, set up
// with `npm ci` and built there (about a minute); --keep leaves it for reuse
// and prints its path, --at DIR reuses such a folder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, median, pairedRatio } from './common.mjs';
import { jsonCounts, jsonRatios, printJson, runJsonBench } from './json.mjs';
import { Loadgen, ServerProc } from './procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const opts = args();
const rounds = Number(opts.rounds ?? 9);
const warmup = 2;
const handler = opts.handler === 'async' ? 'async' : 'sync';
const lineBytes = Number(opts['line-bytes'] ?? 6);
const count = Number(opts.count ?? 1_000_000);

function sh(cmd, argv, cwd) {
  execFileSync(cmd, argv, { cwd, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false' } });
}

/** A folder holding `ref` built; made with git worktree unless --at names one. */
function buildRef() {
  if (typeof opts.at === 'string') return { dir: opts.at, made: false };
  if (typeof opts.ref !== 'string') {
    console.error('ab.mjs: --ref <git ref> (or --at DIR) is required');
    process.exit(2);
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'oneline-ab-'));
  console.log(`building ${opts.ref} in ${dir} (git worktree, npm ci, nx build)`);
  sh('git', ['worktree', 'add', '--detach', dir, opts.ref], root);
  sh('npm', ['ci', '--no-audit', '--no-fund'], dir);
  sh('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], dir);
  return { dir, made: true };
}

function removeRef({ dir, made }) {
  if (!made || opts.keep) return;
  sh('git', ['worktree', 'remove', '--force', dir], root);
  rmSync(dir, { recursive: true, force: true });
}

const ref = buildRef();
const entry = (dir, pkg = 'server') => {
  const p = join(dir, 'packages', pkg, 'dist', 'index.js');
  if (!existsSync(p)) throw new Error(`no ${pkg} build at ${p}`);
  return p;
};

/** --json: this tree's JSON server and client against the ref's, the floor alongside. */
async function abJson() {
  const sides = {
    now: { label: 'this tree (jsonRouter + JsonClient)', server: ['json-at', entry(root)], impl: 'ours', at: entry(root, 'client') },
    ref: { label: `${opts.ref ?? ref.dir} (jsonRouter + JsonClient)`, server: ['json-at', entry(ref.dir)], impl: 'ours', at: entry(ref.dir, 'client') },
    floor: { label: 'hand-written NDJSON floor', server: ['json-floor'], impl: 'floor' },
  };
  const res = await runJsonBench(sides, jsonCounts({ rounds: opts.rounds }));
  printJson(res, { ref: 'ref', title: `\nA/B (JSON call): this tree vs ${opts.ref ?? ref.dir} (Node ${process.version}); ratios are now / ref, same-round medians [min-max]` });
  const r = jsonRatios(res, 'now', 'ref');
  const fmt = (x) => `${x.ratio.toFixed(2)}x [${x.min.toFixed(2)}-${x.max.toFixed(2)}]`;
  console.log(`now / ref: p50 ${fmt(r.p50)}, p99 ${fmt(r.p99)} (below 1 is faster now); pipelined ${fmt(r.rate)} (above 1 is faster now)`);
}

/** The server A/B: pipelined throughput of this tree's server, the ref's and the tight floor. */
async function abServer() {
  const serve = join(here, 'serve.mjs');
  const servers = {
    now: new ServerProc('now', [process.execPath, serve, 'at', entry(root), handler]),
    ref: new ServerProc('ref', [process.execPath, serve, 'at', entry(ref.dir), handler]),
    tight: new ServerProc('tight', [process.execPath, serve, 'tight']),
  };
  const names = Object.keys(servers);
  const lg = new Loadgen();
  const rates = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (const n of names.map((_, i) => names[(i + r) % names.length])) {
      const p = servers[n];
      const c0 = await p.cpu();
      const { ms } = await lg.run({ kind: 'pipelined', port: await p.port, count, lineBytes });
      const c1 = await p.cpu();
      if (r < warmup) continue;
      rates[n].push(count / (ms / 1000));
      cpu[n].push((c1 - c0) / count);
    }
  }
  await lg.stop();
  for (const p of Object.values(servers)) await p.stop();
  const fmt = (x) => `${x.ratio.toFixed(2)}x [${x.min.toFixed(2)}-${x.max.toFixed(2)}]`;
  console.log(`\nA/B: this tree vs ${opts.ref ?? ref.dir}, ${handler} handler, ${lineBytes}-byte lines, ${count} pipelined commands per sample, ${warmup} warm-up + ${rounds} rounds (Node ${process.version})`);
  console.log(`${'server'.padEnd(8)}${'commands/s'.padStart(14)}${'CPU/command'.padStart(14)}${'vs tight'.padStart(22)}`);
  for (const n of names) {
    console.log(`${n.padEnd(8)}${`${(median(rates[n]) / 1e6).toFixed(2)} M/s`.padStart(14)}${`${median(cpu[n]).toFixed(3)} µs`.padStart(14)}${fmt(pairedRatio(rates[n], rates.tight)).padStart(22)}`);
  }
  console.log(`now / ref: ${fmt(pairedRatio(rates.now, rates.ref))} (throughput; above 1 is faster now)`);
}

try {
  if (opts.json) await abJson();
  else await abServer();
} finally {
  removeRef(ref);
}
