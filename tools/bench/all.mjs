#!/usr/bin/env node
// `npx nx run bench:all`: every benchmark, each against its baseline in the
// same run, interleaved (A B A B ...), medians. Prints a table, writes
// docs/bench-results.json and docs/bench.svg (not with --smoke).
//   node tools/bench/all.mjs [--smoke] [--rounds N]
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnelineServer } from '@socket-oneline/server';
import { barChart } from './chart.mjs';
import { args, median, percentile } from './common.mjs';
import { decoderSettings, runDecoderBench } from './decoder.mjs';
import { startFloorServer } from './floor-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const opts = args();
const smoke = Boolean(opts.smoke);
const rounds = Number(opts.rounds ?? (smoke ? 1 : 5));
const N = {
  pipelined: smoke ? 2000 : 200_000,
  rtt: smoke ? 50 : 5000,
  reconnect: smoke ? 10 : 300,
  flood: smoke ? 8 << 20 : 1 << 30,
};

function loadgen(job) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'loadgen.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`loadgen ${job.kind} took over 120 s`));
    }, 120_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    });
    child.once('exit', (code) => {
      if (code !== 0) {
        clearTimeout(timer);
        reject(new Error(`loadgen ${job.kind} exited ${code}`));
      }
    });
    child.send(job);
  });
}

async function main() {
  const t0 = Date.now();
  const ours = new OnelineServer({ handler: () => 'ack' });
  const { port: oursPort } = await ours.listen();
  const floor = await startFloorServer();
  const results = [];

  // Pipelined throughput, interleaved.
  const tp = { ours: [], floor: [] };
  for (let r = 0; r < rounds; r++) {
    tp.ours.push(N.pipelined / ((await loadgen({ kind: 'pipelined', port: oursPort, count: N.pipelined })).ms / 1000));
    tp.floor.push(N.pipelined / ((await loadgen({ kind: 'pipelined', port: floor.port, count: N.pipelined })).ms / 1000));
  }
  const tpOurs = median(tp.ours);
  const tpFloor = median(tp.floor);
  results.push({ name: 'pipelined throughput', unit: 'commands/s', ours: tpOurs, floor: tpFloor, ratio: tpOurs / tpFloor, target: 0.8, better: 'higher' });

  // Round trip, interleaved.
  const rtt = { ours: [], floor: [] };
  for (let r = 0; r < rounds; r++) {
    rtt.ours.push(...(await loadgen({ kind: 'rttOurs', port: oursPort, count: N.rtt })).rtts);
    rtt.floor.push(...(await loadgen({ kind: 'rttRaw', port: floor.port, count: N.rtt })).rtts);
  }
  const p50o = percentile(rtt.ours, 50);
  const p50f = percentile(rtt.floor, 50);
  results.push({ name: 'round trip p50', unit: 'µs', ours: p50o, floor: p50f, ratio: p50o / p50f, target: 1.2, better: 'lower' });
  results.push({ name: 'round trip p99', unit: 'µs', ours: percentile(rtt.ours, 99), floor: percentile(rtt.floor, 99), ratio: percentile(rtt.ours, 99) / percentile(rtt.floor, 99), target: null, better: 'lower' });

  // Reconnect: disconnect of one client -> pong of the next.
  const rc = (await loadgen({ kind: 'reconnect', port: oursPort, count: N.reconnect })).times;
  const rcP50 = percentile(rc, 50) / 1000;
  results.push({ name: 'reconnect p50', unit: 'ms', ours: rcP50, floor: null, ratio: null, target: 5, better: 'lower', p99: percentile(rc, 99) / 1000 });

  await ours.close();
  await new Promise((r) => floor.server.close(r));

  // Decoder vs its floor (same process, interleaved inside).
  for (const d of runDecoderBench(decoderSettings({ smoke }))) results.push({ ...d, better: 'higher' });

  // Flood memory: our server in its own process; 1 GiB without LF.
  const fs = fork(join(here, 'flood-server.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const hello = await new Promise((r) => fs.once('message', r));
  const floodOut = await loadgen({ kind: 'flood', port: hello.port, bytes: N.flood });
  fs.send('rss');
  const after = await new Promise((r) => fs.once('message', r));
  fs.send('stop');
  await new Promise((r) => fs.once('exit', r));
  const growthMB = (after.maxRss - hello.rss) / 1048576;
  const overflowSeen = floodOut.answers.filter((a) => a.startsWith('invalid too-long')).length;
  results.push({ name: 'flood RSS growth', unit: 'MB', ours: growthMB, floor: null, ratio: null, target: 64, better: 'lower', sentMB: N.flood / 1048576, overflowsDelivered: overflowSeen, pongAfter: floodOut.answers.includes('pong') });

  // Report.
  const fmt = (v, unit) => (v === null || v === undefined ? '' : unit === 'commands/s' || unit === 'lines/s' ? `${(v / 1e6).toFixed(3)} M/s` : `${v.toFixed(unit === 'MB' || unit === 'ms' ? 2 : 1)} ${unit}`);
  console.log(`socket-oneline benchmarks${smoke ? ' (smoke: tiny counts, no targets)' : ''}: ${os.cpus().length} cores, Node ${process.version}, ${rounds} interleaved round(s)`);
  console.log(`${'benchmark'.padEnd(28)} ${'ours'.padStart(14)} ${'floor'.padStart(14)} ${'ratio'.padStart(8)}  target`);
  let missed = 0;
  for (const r of results) {
    let verdict = '';
    if (!smoke && r.target !== null) {
      const v = r.ratio ?? r.ours;
      const ok = r.better === 'higher' ? v >= r.target : v <= r.target;
      if (!ok) missed++;
      verdict = ok ? 'ok' : 'MISSED';
    }
    const target = r.target === null ? '' : `${r.better === 'higher' ? '>=' : '<='} ${r.target}${r.ratio === null ? ` ${r.unit}` : 'x'}`;
    console.log(`${r.name.padEnd(28)} ${fmt(r.ours, r.unit).padStart(14)} ${fmt(r.floor, r.unit).padStart(14)} ${r.ratio === null ? ''.padStart(8) : `${r.ratio.toFixed(2)}x`.padStart(8)}  ${target} ${verdict}`);
  }
  const flood = results.at(-1);
  console.log(`flood: ${flood.sentMB} MiB sent without LF; overflow answers: ${flood.overflowsDelivered}; pong after it: ${flood.pongAfter}`);
  console.log(`total ${(Date.now() - t0) / 1000} s`);
  if (flood.overflowsDelivered !== 1 || !flood.pongAfter) {
    console.error('flood: expected exactly one overflow answer and a pong after it');
    process.exitCode = 1;
  }
  if (!smoke) {
    const date = new Date().toISOString().slice(0, 10);
    const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}` };
    const docs = join(here, '..', '..', 'docs');
    mkdirSync(docs, { recursive: true });
    writeFileSync(join(docs, 'bench-results.json'), `${JSON.stringify({ date, machine, rounds, counts: N, command: 'npx nx run bench:all', results }, null, 2)}\n`);
    const rows = results
      .filter((r) => r.ratio !== null && r.target !== null)
      .map((r) => ({ label: `${r.name} (ours / floor)`, value: r.ratio, target: r.target, better: r.better }));
    const rcRow = results.find((r) => r.name === 'reconnect p50');
    writeFileSync(
      join(docs, 'bench.svg'),
      barChart({
        title: 'socket-oneline vs the Node floor (ratios; dashed line = target)',
        subtitle: `${date} · ${machine.cores} cores · Node ${machine.node} · npx nx run bench:all`,
        rows,
        notes: [
          `reconnect (disconnect → next client's pong): p50 ${rcRow.ours.toFixed(2)} ms (target ≤ 5 ms)`,
          `flood: ${flood.sentMB} MiB without LF → server RSS +${flood.ours.toFixed(1)} MB (target < 64 MB), one overflow delivered`,
        ],
      }),
    );
    updateReadme(join(here, '..', '..', 'README.md'), { date, machine, results, flood, rcRow });
    console.log('wrote docs/bench-results.json, docs/bench.svg and the README benchmark section');
    if (missed > 0) console.log(`${missed} target(s) missed`);
  }
}

/** Rewrites the README section between the bench markers from this run's results. */
function updateReadme(path, { date, machine, results, flood, rcRow }) {
  const f = (v, unit) =>
    v === null || v === undefined ? '' : unit === 'commands/s' || unit === 'lines/s' ? `${(v / 1e6).toFixed(2)} M/s` : `${v.toFixed(unit === 'µs' ? 1 : 2)} ${unit}`;
  const rows = results.map((r) => {
    const target = r.target === null ? '' : `${r.better === 'higher' ? '≥' : '≤'} ${r.target}${r.ratio === null ? ` ${r.unit}` : 'x'}`;
    return `| ${r.name} | ${f(r.ours, r.unit)} | ${f(r.floor, r.unit)} | ${r.ratio === null ? '' : `${r.ratio.toFixed(2)}x`} | ${target} |`;
  });
  const section = [
    '<!-- bench:start (written by `npx nx run bench:all`) -->',
    '![benchmark ratios](docs/bench.svg)',
    '',
    `Measured ${date} on ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ${machine.platform}, by`,
    '`npx nx run bench:all` (under a minute; it rewrites this section, `docs/bench.svg` and',
    '`docs/bench-results.json`). Each figure runs against its baseline in the same run, interleaved,',
    'medians; load comes from a separate process. The floor is a minimal hand-written `node:net` line',
    'server (indexOf loop, no limits, no ordering machinery) or, for the decoder, a bare `indexOf` +',
    '`toString` loop with no UTF-8 validation.',
    '',
    '| benchmark | ours | floor | ratio | target |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Pipelined: 200,000 \`cmd01\` in one burst, answered \`ack\`. Round trip: 5,000 sequential \`ping\` →`,
    '`pong` (our client and server vs a raw socket and the floor server). Reconnect: one client\'s',
    `\`disconnect\` to the next client's \`pong\` (p50 ${rcRow.ours.toFixed(2)} ms). Flood: ${flood.sentMB} MiB without a LF into our server in`,
    'its own process: one overflow delivered, `pong` answered afterwards. These machines are shared',
    'and noisy: ratios move by about ±0.1 between runs.',
    '<!-- bench:end -->',
  ].join('\n');
  const readme = readFileSync(path, 'utf8');
  const start = readme.indexOf('<!-- bench:start');
  const end = readme.indexOf('<!-- bench:end -->');
  if (start === -1 || end === -1) throw new Error('README.md has no bench markers');
  writeFileSync(path, readme.slice(0, start) + section + readme.slice(end + '<!-- bench:end -->'.length));
}

await main();
