#!/usr/bin/env node
// `npx nx run bench:all`: every server benchmark, each server in its own
// process and the load in another (loadgen.mjs), warm-up rounds discarded,
// the order of servers rotated every round, medians and paired (same-round)
// ratios, server CPU per command. Cold (a fresh server process, its first
// burst) is reported apart from warm. Prints every figure and the targets
// with pass/fail; writes docs/bench-results.json, docs/bench.svg and the
// README section (not with --smoke).
// The JSON call benchmark (json.mjs) runs as section `json`.
//   node tools/bench/all.mjs [--smoke] [--rounds N] [--only pipelined,cold,json,...]
//     [--lengths 6,100] [--depths 1,100]   (--only/--lengths/--depths: nothing is written)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, median, pairedRatio, percentile } from './common.mjs';
import { decoderSettings, runDecoderBench } from './decoder.mjs';
import { jsonCounts, jsonSides, runJsonBench } from './json.mjs';
import { Loadgen, ServerProc, availableServers } from './procs.mjs';
import { printSection, writeReports } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const opts = args();
const smoke = Boolean(opts.smoke);
const only = typeof opts.only === 'string' ? new Set(opts.only.split(',')) : null;
const want = (section) => only === null || only.has(section);

/** Sizes of the run (smoke: tiny counts). A measured sample lasts >= 0.5 s. */
const C = smoke
  ? { warmup: 1, rounds: 1, maxCount: 2000, minSec: 0, probe: 500, cold: 2000, coldRounds: 1, rtt: 50, reconnect: 5, flood: 8 << 20 }
  : { warmup: 2, rounds: 9, maxCount: 1_000_000, minSec: 0.5, probe: 1_000_000, cold: 200_000, coldRounds: 9, rtt: 2000, reconnect: 100, flood: 1 << 30 };
if (opts.rounds !== undefined) C.rounds = C.coldRounds = Number(opts.rounds);
const list = (v, d) => (typeof v === 'string' ? v.split(',').map(Number) : d);
const LENGTHS = list(opts.lengths, [6, 32, 100, 1024, 8192, 61440]); // bytes per line, LF included
const DEPTHS = list(opts.depths, [1, 10, 100, 1000, 10_000]);

const all = availableServers();
const running = new Map(); // name -> ServerProc (warm servers, started once)
const lg = new Loadgen();

async function warmServer(name) {
  if (!running.has(name)) {
    const p = new ServerProc(name, all[name].argv);
    await p.port;
    running.set(name, p);
  }
  return running.get(name);
}

const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length]);


/**
 * Throughput of `names` on warm servers. `job` is the loadgen job without
 * port and count; `maxCount` sizes smoke samples. A probe run per server sizes its
 * samples (>= minSec seconds); then warm-up rounds
 * (discarded) and measured rounds, order rotated each round.
 */
async function throughput(names, job, maxCount = C.maxCount) {
  const procs = {};
  const counts = {};
  for (const n of names) {
    procs[n] = await warmServer(n);
    // Probe with growing counts until a run lasts long enough to time it.
    let probe = Math.min(1000, maxCount);
    let ms;
    for (;;) {
      ({ ms } = await lg.run({ ...job, port: await procs[n].port, count: probe }));
      if (ms >= 100 || probe >= Math.min(C.probe, maxCount)) break;
      probe = Math.min(C.probe, maxCount, probe * 10);
    }
    const rate = probe / (ms / 1000);
    // Samples last >= 0.5 s whatever the server's speed (1M commands would
    // last 60 ms on the fastest floor: too short to average out noise).
    counts[n] = C.minSec === 0 ? maxCount : Math.max(1000, Math.ceil(rate * C.minSec * 1.1));
  }
  const rates = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < C.warmup + C.rounds; r++) {
    for (const n of rotate(names, r)) {
      const c0 = await procs[n].cpu();
      const { ms } = await lg.run({ ...job, port: await procs[n].port, count: counts[n] });
      const c1 = await procs[n].cpu();
      if (r < C.warmup) continue;
      rates[n].push(counts[n] / (ms / 1000));
      cpu[n].push((c1 - c0) / counts[n]);
    }
  }
  return { counts, rates, cpu };
}

/** Summary of one throughput measurement: medians, and ratios paired by round against `ref`. */
function summarize(m, ref, extraRefs = []) {
  const out = {};
  for (const n of Object.keys(m.rates)) {
    out[n] = {
      count: m.counts[n],
      rate: median(m.rates[n]),
      cpuPerCmd: median(m.cpu[n]),
      vs: Object.fromEntries([ref, ...extraRefs].filter((x) => x in m.rates).map((x) => [x, pairedRatio(m.rates[n], m.rates[x])])),
      cpuVs: ref in m.cpu ? pairedRatio(m.cpu[n], m.cpu[ref]) : null,
    };
  }
  return out;
}

const peers = () => Object.keys(all).filter((n) => !all[n].skipped && all[n].only === undefined);

/** Warm pipelined throughput: every server, one burst per sample. */
async function sectionPipelined() {
  const names = peers();
  return summarize(await throughput(names, { kind: 'pipelined' }), 'tight', ['loose']);
}

/** Async handlers: our server with `async () => 'ack'` against the same server with `() => 'ack'` (target >= 0.5x). */
async function sectionAsync() {
  return summarize(await throughput(['ours', 'ours-async', 'tight'], { kind: 'pipelined' }), 'tight', ['ours']);
}

/** Cold: a fresh server process per sample, timed on its first burst. */
async function sectionCold() {
  const names = peers();
  const rates = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  const warm = smoke ? 0 : 1; // the first round warms disk caches and the loadgen, and is discarded
  for (let r = 0; r < warm + C.coldRounds; r++) {
    for (const n of rotate(names, r)) {
      const p = new ServerProc(n, all[n].argv);
      const port = await p.port;
      const c0 = await p.cpu();
      const { ms } = await lg.run({ kind: 'pipelined', port, count: C.cold });
      const c1 = await p.cpu();
      await p.stop();
      if (r < warm) continue;
      rates[n].push(C.cold / (ms / 1000));
      cpu[n].push((c1 - c0) / C.cold);
    }
  }
  return summarize({ counts: Object.fromEntries(names.map((n) => [n, C.cold])), rates, cpu }, 'tight', ['loose']);
}

/** Round trip: sequential ping -> pong from the same raw client to every server. */
async function sectionRtt() {
  const names = peers();
  const per = Object.fromEntries(names.map((n) => [n, { p50: [], p99: [], all: [] }]));
  for (let r = 0; r < C.warmup + C.rounds; r++) {
    for (const n of rotate(names, r)) {
      const p = await warmServer(n);
      const { rtts } = await lg.run({ kind: 'rtt', port: await p.port, count: C.rtt });
      if (r < C.warmup) continue;
      per[n].p50.push(percentile(rtts, 50));
      per[n].p99.push(percentile(rtts, 99));
      per[n].all.push(...rtts);
    }
  }
  const out = {};
  for (const n of names) {
    out[n] = {
      p50: percentile(per[n].all, 50),
      p99: percentile(per[n].all, 99),
      vs: { tight: { p50: pairedRatio(per[n].p50, per.tight.p50), p99: pairedRatio(per[n].p99, per.tight.p99) } },
    };
  }
  return out;
}

/** Reconnect: the same raw client, FIN of one connection -> pong on the next. */
async function sectionReconnect() {
  const names = ['ours', 'tight'];
  const p50 = { ours: [], tight: [] };
  const p99 = { ours: [], tight: [] };
  for (let r = 0; r < C.warmup + C.rounds; r++) {
    for (const n of rotate(names, r)) {
      const p = await warmServer(n);
      const { times } = await lg.run({ kind: 'reconnect', port: await p.port, count: C.reconnect });
      if (r < C.warmup) continue;
      p50[n].push(percentile(times, 50));
      p99[n].push(percentile(times, 99));
    }
  }
  return Object.fromEntries(names.map((n) => [n, { p50: median(p50[n]), p99: median(p99[n]), vs: { tight: pairedRatio(p50[n], p50.tight) } }]));
}

/** Line-length sweep: ours and both floors, pipelined, 6 B to 60 KiB per line. */
async function sectionLengths() {
  const out = {};
  for (const lineBytes of LENGTHS) {
    const m = await throughput(['ours', 'tight', 'loose'], { kind: 'pipelined', lineBytes }, smoke ? 200 : C.maxCount);
    out[lineBytes] = summarize(m, 'tight', ['loose']);
  }
  return out;
}

/** Pipeline-depth sweep: ours and the tight floor with 1 to 10k commands in flight. */
async function sectionDepths() {
  const out = {};
  for (const depth of DEPTHS) {
    const m = await throughput(['ours', 'tight'], { kind: 'depth', depth }, smoke ? 500 : C.maxCount);
    out[depth] = summarize(m, 'tight');
  }
  return out;
}

/** Flood: 1 GiB without a LF into our server (own process); its RSS growth. */
async function sectionFlood() {
  const p = new ServerProc('ours-flood', all.ours.argv.slice(0, -1).concat('ours-flood'));
  const port = await p.port;
  const before = await p.rss();
  const { answers } = await lg.run({ kind: 'flood', port, bytes: C.flood }, 300_000);
  const after = await p.rss();
  await p.stop();
  return {
    sentMiB: C.flood / 1048576,
    growthMB: (after.maxRss - before.rss) / 1048576,
    overflowsDelivered: answers.filter((a) => a.startsWith('invalid too-long')).length,
    pongAfter: answers.includes('pong'),
  };
}

/** The JSON call (json.mjs): ours against vscode-jsonrpc, json-rpc-2.0 and the NDJSON floor, each side in its own processes. */
function sectionJson() {
  return runJsonBench(jsonSides(), jsonCounts({ smoke }));
}

/** Passes the standalone client benchmark's output through, when it exists. */
function sectionClient() {
  const script = join(here, 'client.mjs');
  if (!existsSync(script)) return Promise.resolve({ skipped: 'tools/bench/client.mjs not present' });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...(smoke ? ['--smoke'] : [])], { stdio: 'inherit' });
    child.once('exit', (code) => resolve({ exitCode: code }));
  });
}

async function main() {
  const t0 = Date.now();
  const skipped = Object.fromEntries(Object.entries(all).filter(([, s]) => s.skipped).map(([n, s]) => [n, s.skipped]));
  const labels = Object.fromEntries(Object.entries(all).map(([n, s]) => [n, s.label]));
  const meta = { smoke, C, LENGTHS, DEPTHS, skipped, labels };
  console.log(
    `socket-oneline server benchmarks${smoke ? ' (smoke: tiny counts, targets not judged)' : ''}: ` +
      `${C.warmup} warm-up + ${C.rounds} measured rounds, order rotated; each server its own process, load from another`,
  );
  for (const [n, why] of Object.entries(skipped)) console.log(`  skipped ${labels[n]}: ${why}`);
  const res = {};
  const sections = [
    ['pipelined', sectionPipelined],
    ['async', sectionAsync],
    ['cold', sectionCold],
    ['rtt', sectionRtt],
    ['reconnect', sectionReconnect],
    ['lengths', sectionLengths],
    ['depths', sectionDepths],
    ['json', sectionJson],
  ];
  for (const [name, fn] of sections) {
    if (!want(name)) continue;
    const s0 = Date.now();
    res[name] = await fn();
    printSection(name, res[name], meta, (Date.now() - s0) / 1000);
  }
  for (const p of running.values()) await p.stop();
  if (want('flood')) {
    res.flood = await sectionFlood();
    printSection('flood', res.flood, meta);
  }
  await lg.stop();
  if (want('decoder')) {
    res.decoder = runDecoderBench(decoderSettings({ smoke }));
    printSection('decoder', res.decoder, meta);
  }
  const seconds = (Date.now() - t0) / 1000;
  const ok = writeReports(res, { ...meta, seconds, write: !smoke && only === null && opts.lengths === undefined && opts.depths === undefined });
  if (want('client')) {
    console.log('\n== client benchmark (tools/bench/client.mjs)');
    const c = await sectionClient();
    if (c.skipped) console.log(`  skipped: ${c.skipped}`);
    else if (c.exitCode !== 0) process.exitCode = 1;
  }
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!ok) process.exitCode = 1;
  for (const s of Object.values(all)) s.cleanup?.();
}

await main();
