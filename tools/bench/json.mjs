#!/usr/bin/env node
// `npx nx run bench:json`: one typed JSON call, `add {a, b} -> {sum}`, ours
// (jsonRouter + JsonClient.call) against the JSON-RPC libraries users pick
// instead (vscode-jsonrpc, json-rpc-2.0 over node:readline lines) and a
// hand-written NDJSON floor. Every server (serve.mjs json-*) and every
// client (json-load.mjs) runs in its own process, kept for the whole run;
// each client warms up first (discarded); short rounds are interleaved with
// the order rotated, so machine noise hits every side alike; latencies are
// percentiles over all sequential calls, rates medians over rounds, ratios
// medians of same-round ratios [min-max]. Prints the table and the targets
// (never asserted in tests); writes tools/bench/json-results.json (not with
// --smoke).
//   node tools/bench/json.mjs [--smoke] [--rounds N]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, median, pairedRatio, percentile } from './common.mjs';
import { Loadgen, ServerProc } from './procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const serve = join(here, 'serve.mjs');

/**
 * Sizes of a run (smoke: tiny counts): `seqRounds` rounds of `seq`
 * sequential calls per side, then `rounds` rounds of `count` pipelined calls
 * (`depth` in flight) per side, after `warmup` calls of each kind.
 */
export function jsonCounts({ smoke = false, rounds } = {}) {
  const c = smoke
    ? { warmup: 200, seqRounds: 2, seq: 100, rounds: 1, count: 2000, depth: 256 }
    : { warmup: 3000, seqRounds: 30, seq: 500, rounds: 7, count: 30_000, depth: 256 };
  if (rounds !== undefined) {
    c.seqRounds = Math.max(1, Math.round((c.seqRounds * Number(rounds)) / c.rounds));
    c.rounds = Number(rounds);
  }
  return c;
}

/** The implementations compared: name -> { label, short, server (serve.mjs kind and args), impl (json-load.mjs), at?, reference? }. */
export function jsonSides() {
  return {
    ours: { label: 'socket-oneline (jsonRouter + JsonClient.call)', short: 'socket-oneline', server: ['json-ours'], impl: 'ours' },
    vscode: { label: 'vscode-jsonrpc 10 (Content-Length)', short: 'vscode-jsonrpc', server: ['json-vscode'], impl: 'vscode' },
    rpc2: { label: 'json-rpc-2.0 1.8 (node:readline lines)', short: 'json-rpc-2.0', server: ['json-rpc2'], impl: 'json-rpc-2.0' },
    floor: { label: 'hand-written NDJSON floor', short: 'NDJSON floor', server: ['json-floor'], impl: 'floor' },
    coalesced: { label: 'NDJSON floor, writes coalesced per tick', short: 'coalesced floor', server: ['json-floor'], impl: 'floor-coalesced', reference: true },
  };
}

const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length]);

/**
 * Runs the sides, each server and each client in its own process (kept for
 * the whole run), rounds interleaved with the order rotated. Returns per
 * side its figures (p50/p99 over all sequential calls, medians of the
 * per-round rates) and the per-round figures the ratios pair:
 * { counts, sides: { name: { label, short, reference, seqRate, p50, p99, rate, serverCpu, rounds: { p50, p99, rate, cpu } } } }
 * (serverCpu: the server process's CPU time per sequential call, µs).
 */
export async function runJsonBench(sides, counts, { execArgv = {} } = {}) {
  const names = Object.keys(sides);
  const servers = {};
  const clients = {};
  const per = Object.fromEntries(names.map((n) => [n, { p50: [], p99: [], rate: [], all: [], cpu: [] }]));
  try {
    for (const n of names) {
      servers[n] = new ServerProc(n, [process.execPath, ...(execArgv.server ?? []), serve, ...sides[n].server]);
      clients[n] = new Loadgen(join(here, 'json-load.mjs'), { execArgv: execArgv.client ?? [] });
      await clients[n].run({ kind: 'connect', impl: sides[n].impl, at: sides[n].at, port: await servers[n].port });
      // Warm-up (discarded): lets the JIT settle on both ends.
      await clients[n].run({ kind: 'seq', count: counts.warmup });
      await clients[n].run({ kind: 'pipelined', count: Math.max(counts.warmup, counts.depth), depth: counts.depth });
    }
    for (let r = 0; r < counts.seqRounds; r++) {
      for (const n of rotate(names, r)) {
        const c0 = await servers[n].cpu();
        const { rtts } = await clients[n].run({ kind: 'seq', count: counts.seq });
        per[n].cpu.push(((await servers[n].cpu()) - c0) / counts.seq);
        per[n].p50.push(percentile(rtts, 50));
        per[n].p99.push(percentile(rtts, 99));
        per[n].all.push(...rtts);
      }
    }
    for (let r = 0; r < counts.rounds; r++) {
      for (const n of rotate(names, r)) {
        const { ms } = await clients[n].run({ kind: 'pipelined', count: counts.count, depth: counts.depth });
        per[n].rate.push(counts.count / (ms / 1000));
      }
    }
    for (const n of names) await clients[n].run({ kind: 'close' });
  } finally {
    for (const c of Object.values(clients)) await c.stop();
    for (const p of Object.values(servers)) await p.stop();
  }
  const out = {};
  for (const n of names) {
    const p = per[n];
    const mean = p.all.reduce((a, b) => a + b, 0) / p.all.length;
    out[n] = {
      label: sides[n].label,
      short: sides[n].short ?? n,
      reference: sides[n].reference === true,
      seqRate: 1e6 / mean,
      p50: percentile(p.all, 50),
      p99: percentile(p.all, 99),
      rate: median(p.rate),
      serverCpu: median(p.cpu),
      rounds: { p50: p.p50, p99: p.p99, rate: p.rate, cpu: p.cpu },
    };
  }
  return { counts, sides: out };
}

/** Same-round ratios of side `a` to side `b`: p50, p99 (lower is better), pipelined rate (higher is better). */
export function jsonRatios(res, a, b) {
  const x = res.sides[a].rounds;
  const y = res.sides[b].rounds;
  return { p50: pairedRatio(x.p50, y.p50), p99: pairedRatio(x.p99, y.p99), rate: pairedRatio(x.rate, y.rate) };
}

/** The targets for `ours`, from this run (printed, never asserted). */
export function jsonTargets(res) {
  const t = [];
  if (!res?.sides?.ours || !res.sides.floor) return t;
  const shown = (r) => `${r.ratio.toFixed(2)}x [${r.min.toFixed(2)}-${r.max.toFixed(2)}]`;
  const add = (name, r, target, better) => t.push({ name, value: r.ratio, target, better, shown: shown(r), ok: better === 'higher' ? r.ratio >= target : r.ratio <= target });
  const f = jsonRatios(res, 'ours', 'floor');
  add('JSON call p50 vs NDJSON floor', f.p50, 1.15, 'lower');
  add('JSON call p99 vs NDJSON floor', f.p99, 1.5, 'lower');
  add('JSON pipelined vs NDJSON floor', f.rate, 1.0, 'higher');
  for (const peer of Object.keys(res.sides).filter((n) => n !== 'ours' && n !== 'floor' && !res.sides[n].reference)) {
    const r = jsonRatios(res, 'ours', peer);
    const who = res.sides[peer].short;
    add(`JSON pipelined vs ${who}`, r.rate, 1.0, 'higher');
    add(`JSON call p50 vs ${who}`, r.p50, 1.0, 'lower');
  }
  return t;
}

const kps = (v) => (v >= 1e3 ? `${(v / 1e3).toFixed(1)} k/s` : `${v.toFixed(0)} /s`);
const xr = (r) => `${r.ratio.toFixed(2)}x [${r.min.toFixed(2)}-${r.max.toFixed(2)}]`;

/** Prints the table (every side against `ref`, the floor by default). */
export function printJson(res, { ref = 'floor', title } = {}) {
  const c = res.counts;
  console.log(
    title ??
      `\n== JSON call \`add {a,b} -> {sum}\`: ${c.warmup} warm-up calls discarded; ${c.seqRounds} rounds of ${c.seq} sequential calls, ` +
        `${c.rounds} rounds of ${c.count} pipelined (${c.depth} in flight), order rotated; ratio = median of same-round ratios [min-max]`,
  );
  const w = [46, 12, 10, 10, 14, 20, 20, 20, 16];
  const pad = (cells) => cells.map((s, i) => (i === 0 ? String(s).padEnd(w[i]) : String(s).padStart(w[i]))).join('  ');
  console.log(pad(['impl', 'seq calls/s', 'p50', 'p99', 'pipelined', `p50 vs ${ref}`, `p99 vs ${ref}`, `pipelined vs ${ref}`, 'server CPU/call']));
  for (const [n, s] of Object.entries(res.sides)) {
    const r = jsonRatios(res, n, ref);
    console.log(pad([s.label, kps(s.seqRate), `${s.p50.toFixed(1)} µs`, `${s.p99.toFixed(1)} µs`, kps(s.rate), xr(r.p50), xr(r.p99), xr(r.rate), `${s.serverCpu.toFixed(1)} µs`]));
  }
}

/** Prints the target lines; returns how many missed. */
export function printJsonTargets(ts, { judged = true } = {}) {
  let missed = 0;
  for (const t of ts) {
    if (!t.ok) missed++;
    const verdict = judged ? (t.ok ? 'pass' : 'FAIL') : '';
    console.log(`${t.name.padEnd(38)} ${t.shown.padEnd(34)} ${t.better === 'higher' ? '>=' : '<='} ${t.target}  ${verdict}`);
  }
  return missed;
}

async function main() {
  const opts = args();
  const smoke = Boolean(opts.smoke);
  const t0 = Date.now();
  const res = await runJsonBench(jsonSides(), jsonCounts({ smoke, rounds: opts.rounds }));
  console.log(`JSON benchmark${smoke ? ' (smoke: tiny counts, targets not judged)' : ''}: ${os.cpus().length} cores, Node ${process.version}`);
  printJson(res);
  const ts = jsonTargets(res);
  console.log(`\n== JSON targets${smoke ? ' (smoke run: printed, not judged)' : ' (printed, never asserted)'}`);
  printJsonTargets(ts, { judged: !smoke });
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!smoke) {
    const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model?.trim() ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}` };
    const date = new Date().toISOString().slice(0, 10);
    writeFileSync(join(here, 'json-results.json'), `${JSON.stringify({ date, machine, command: 'npx nx run bench:json', ...res, targets: ts }, null, 2)}\n`);
    console.log('wrote tools/bench/json-results.json');
  }
}

// Run only when executed directly (all.mjs and ab.mjs import the rest).
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
