#!/usr/bin/env node
// `npx nx run bench:client`: our client against a raw node:net client (one
// promise per request, writes coalesced per tick) on the same server. The
// server and every client job run in their own processes; each job warms up
// first (discarded); rounds are interleaved; figures are medians. Prints the
// targets with ok/MISSED (never asserted in tests) and writes
// tools/bench/client-results.json (not with --smoke).
//   node tools/bench/client.mjs [--smoke] [--rounds N]
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, median, percentile } from './common.mjs';
import { forkJob } from './procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const opts = args();
const smoke = Boolean(opts.smoke);
const rounds = Number(opts.rounds ?? (smoke ? 1 : 5));
const N = smoke
  ? { pipelined: 2000, small: 1000, large: 4000, rtt: 100, warmup: 500, rttWarmup: 200 }
  : { pipelined: 200_000, small: 100_000, large: 400_000, rtt: 5000, warmup: 20_000, rttWarmup: 10_000 };

function job(port, kind, test, count) {
  const message = { kind, test, count, port, warmup: test === 'rtt' ? N.rttWarmup : N.warmup };
  return forkJob(join(here, 'client-load.mjs'), message, `${kind} ${test} ${count}`);
}

/**
 * Runs the client benchmark and returns its rows ({ name, unit, ours, raw, ratio, target, better }),
 * for all.mjs to merge. Prints nothing.
 */
export async function runClientBench() {
  const server = fork(join(here, 'client-server.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await new Promise((r) => server.once('message', r));
  const ms = { ours: [], raw: [], small: [], large: [] };
  const rtts = { ours: [], raw: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      ms.ours.push((await job(port, 'ours', 'pipelined', N.pipelined)).ms);
      ms.raw.push((await job(port, 'raw', 'pipelined', N.pipelined)).ms);
      ms.small.push((await job(port, 'ours', 'pipelined', N.small)).ms);
      ms.large.push((await job(port, 'ours', 'pipelined', N.large)).ms);
      rtts.ours.push(...(await job(port, 'ours', 'rtt', N.rtt)).rtts);
      rtts.raw.push(...(await job(port, 'raw', 'rtt', N.rtt)).rtts);
    }
  } finally {
    server.send('stop');
    await new Promise((r) => server.once('exit', r));
  }
  lastSpread = spread(ms);
  return rows(ms, rtts);
}

// Per-round ours/raw ratios of the pipelined job (rounds are interleaved), for the printout.
let lastSpread = '';
function spread(ms) {
  const r = ms.ours.map((o, i) => ms.raw[i] / o).sort((a, b) => a - b);
  return `per-round pipelined ratio min ${r[0].toFixed(2)}x, max ${r[r.length - 1].toFixed(2)}x (${r.map((x) => x.toFixed(2)).join(' ')})`;
}

function rows(ms, rtts) {
  const oursRate = N.pipelined / (median(ms.ours) / 1000);
  const rawRate = N.pipelined / (median(ms.raw) / 1000);
  const results = [
    { name: `pipelined ${N.pipelined / 1000}k, ours / raw`, unit: 'requests/s', ours: oursRate, raw: rawRate, ratio: oursRate / rawRate, target: 0.8, better: 'higher' },
    { name: `time ${N.large / 1000}k / ${N.small / 1000}k (ours)`, unit: 'ms', ours: median(ms.large), raw: median(ms.small), ratio: median(ms.large) / median(ms.small), target: 5, better: 'lower' },
    { name: 'sequential RTT p50, ours / raw', unit: 'µs', ours: percentile(rtts.ours, 50), raw: percentile(rtts.raw, 50), ratio: percentile(rtts.ours, 50) / percentile(rtts.raw, 50), target: null, better: 'lower' },
    { name: 'sequential RTT p99, ours / raw', unit: 'µs', ours: percentile(rtts.ours, 99), raw: percentile(rtts.raw, 99), ratio: percentile(rtts.ours, 99) / percentile(rtts.raw, 99), target: 1.5, better: 'lower' },
  ];
  return results;
}

async function main() {
  const t0 = Date.now();
  const results = await runClientBench();
  console.log(`client benchmark${smoke ? ' (smoke: tiny counts, no targets)' : ''}: ${os.cpus().length} cores, Node ${process.version}, ${rounds} interleaved round(s), medians`);
  console.log(`${'benchmark'.padEnd(34)} ${'ours'.padStart(14)} ${'baseline'.padStart(14)} ${'ratio'.padStart(7)}  target`);
  const f = (v, unit) => (unit === 'requests/s' ? `${(v / 1e3).toFixed(1)} k/s` : `${v.toFixed(unit === 'µs' ? 1 : 0)} ${unit}`);
  let missed = 0;
  for (const r of results) {
    let verdict = '';
    if (!smoke && r.target !== null) {
      const ok = r.better === 'higher' ? r.ratio >= r.target : r.ratio <= r.target;
      if (!ok) missed++;
      verdict = ok ? 'ok' : 'MISSED';
    }
    const target = r.target === null ? '' : `${r.better === 'higher' ? '>=' : '<='} ${r.target}x`;
    console.log(`${r.name.padEnd(34)} ${f(r.ours, r.unit).padStart(14)} ${f(r.raw, r.unit).padStart(14)} ${`${r.ratio.toFixed(2)}x`.padStart(7)}  ${target} ${verdict}`);
  }
  console.log(lastSpread);
  console.log(`(the baseline of the scaling row is ours at ${N.small / 1000}k; linear growth is 4x) total ${(Date.now() - t0) / 1000} s`);
  if (!smoke) {
    const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}` };
    const date = new Date().toISOString().slice(0, 10);
    writeFileSync(join(here, 'client-results.json'), `${JSON.stringify({ date, machine, rounds, counts: N, command: 'npx nx run bench:client', results }, null, 2)}\n`);
    console.log('wrote tools/bench/client-results.json');
    if (missed > 0) console.log(`${missed} target(s) missed`);
  }
}

// Run only when executed directly (all.mjs may import runClientBench).
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
