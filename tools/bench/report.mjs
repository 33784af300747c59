// Printing and writing the results of all.mjs: section tables, the targets
// (pass/fail, printed only: a benchmark never fails a build on speed),
// docs/bench-results.json, docs/bench.svg and the README section.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ratioChart } from './chart.mjs';
import { jsonRatios, jsonTargets, printJson } from './json.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMMAND = 'npx nx run bench:all';
/**
 * A sweep has a cliff where our ratio to the tight floor at one point is under
 * this share of the ratio at a neighbouring point (a sudden drop between
 * neighbours, not the gentle slope from latency-bound to CPU-bound points).
 */
const CLIFF = 0.7;

const rate = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M/s` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k/s` : `${v.toFixed(0)} /s`);
const x = (r) => (r === undefined || r === null ? '' : `${r.ratio.toFixed(2)}x`);
const xr = (r) => (r === undefined || r === null ? '' : `${r.ratio.toFixed(2)}x [${r.min.toFixed(2)}-${r.max.toFixed(2)}]`);
const us = (v) => `${v.toFixed(v < 10 ? 2 : 1)} µs`;
const pad = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
const size = (b) => (b >= 1024 ? `${b / 1024} KiB` : `${b} B`);

/** Prints one section's table as soon as it is measured. */
export function printSection(name, r, meta, seconds) {
  const L = meta.labels;
  const took = seconds === undefined ? '' : ` (${seconds.toFixed(1)} s)`;
  if (name === 'pipelined' || name === 'cold') {
    console.log(
      name === 'pipelined'
        ? `\n== pipelined, warm: bursts of \`cmd01\` answered \`ack\`; ratio = median of same-round ratios [min-max]${took}`
        : `\n== cold: a fresh server process per sample, its first burst of ${meta.C.cold} commands${took}`,
    );
    const w = [24, 12, 22, 22, 12, 8];
    console.log(pad(['server', 'commands/s', 'vs tight floor', 'vs loose floor', 'CPU/command', 'vs tight'], w));
    for (const [n, s] of Object.entries(r)) {
      console.log(pad([L[n], rate(s.rate), xr(s.vs.tight), xr(s.vs.loose), us(s.cpuPerCmd), x(s.cpuVs)], w));
    }
  } else if (name === 'async') {
    console.log(`\n== async handlers, pipelined, warm: \`async () => 'ack'\` vs the same server with \`() => 'ack'\`${took}`);
    const w = [34, 12, 22, 22, 12];
    console.log(pad(['server', 'commands/s', 'vs tight floor', 'vs sync handler', 'CPU/command'], w));
    for (const [n, s] of Object.entries(r)) console.log(pad([L[n], rate(s.rate), xr(s.vs.tight), s.vs.ours ? xr(s.vs.ours) : '', us(s.cpuPerCmd)], w));
  } else if (name === 'rtt') {
    console.log(`\n== round trip: sequential ping -> pong, the same raw client against each server${took}`);
    const w = [24, 11, 11, 22, 22];
    console.log(pad(['server', 'p50', 'p99', 'p50 vs tight', 'p99 vs tight'], w));
    for (const [n, s] of Object.entries(r)) console.log(pad([L[n], us(s.p50), us(s.p99), xr(s.vs.tight.p50), xr(s.vs.tight.p99)], w));
  } else if (name === 'reconnect') {
    console.log(`\n== reconnect: the raw client's FIN -> the next connection's pong${took}`);
    for (const [n, s] of Object.entries(r)) console.log(`${L[n].padEnd(24)}  p50 ${us(s.p50)}  p99 ${us(s.p99)}  p50 vs tight ${xr(s.vs.tight)}`);
  } else if (name === 'lengths' || name === 'depths') {
    const lengths = name === 'lengths';
    console.log(
      lengths
        ? `\n== line-length sweep (pipelined, warm; lines/s)${took}`
        : `\n== pipeline-depth sweep (commands kept in flight; commands/s)${took}`,
    );
    const w = lengths ? [10, 12, 12, 12, 10, 22, 22] : [10, 12, 12, 22];
    console.log(pad(lengths ? ['line', 'ours', 'MB/s', 'tight', 'loose', 'ours/tight', 'ours/loose'] : ['depth', 'ours', 'tight', 'ours/tight'], w));
    for (const [k, s] of Object.entries(r)) {
      const row = lengths
        ? [size(Number(k)), rate(s.ours.rate), ((s.ours.rate * Number(k)) / 1e6).toFixed(0), rate(s.tight.rate), rate(s.loose.rate), xr(s.ours.vs.tight), xr(s.ours.vs.loose)]
        : [k, rate(s.ours.rate), rate(s.tight.rate), xr(s.ours.vs.tight)];
      console.log(pad(row, w));
    }
  } else if (name === 'flood') {
    console.log(`\n== flood: ${r.sentMiB} MiB without a LF into our server (own process)`);
    console.log(`RSS growth ${r.growthMB.toFixed(1)} MB; overflow answers ${r.overflowsDelivered}; pong after it: ${r.pongAfter}`);
  } else if (name === 'json') {
    printJson(r);
  } else if (name === 'decoder') {
    console.log('\n== decoder alone (in-process, interleaved with an indexOf + toString floor)');
    for (const d of r) console.log(`${d.name.padEnd(26)} floor ${rate(d.floor).padStart(11)}  decoder ${rate(d.ours).padStart(11)}  ratio ${d.ratio.toFixed(2)}x`);
  }
}

function sweepTarget(name, sweep) {
  if (sweep === undefined) return undefined;
  const points = Object.entries(sweep).map(([k, v]) => [k, v.ours.vs.tight.ratio]);
  let worst = { step: Infinity, from: '', to: '' };
  for (let i = 1; i < points.length; i++) {
    const [[ka, a], [kb, b]] = [points[i - 1], points[i]];
    const step = Math.min(a, b) / Math.max(a, b);
    if (step < worst.step) worst = a > b ? { step, from: ka, to: kb, a, b } : { step, from: kb, to: ka, a: b, b: a };
  }
  if (points.length < 2) return undefined;
  return { name, value: worst.step, target: CLIFF, better: 'higher', shown: `worst step ${worst.from}→${worst.to}: ${worst.a.toFixed(2)}x→${worst.b.toFixed(2)}x = ${worst.step.toFixed(2)}` };
}

/** The issue's targets, from this run's results. */
export function targets(res) {
  const t = [];
  const add = (name, r, target, better) => r && t.push({ name, value: r.ratio, target, better, shown: `${r.ratio.toFixed(2)}x [${r.min.toFixed(2)}-${r.max.toFixed(2)}]` });
  add('pipelined warm vs tight floor', res.pipelined?.ours.vs.tight, 0.8, 'higher');
  add('async handler vs sync handler (pipelined)', res.async?.['ours-async']?.vs.ours, 0.5, 'higher');
  add('cold (first burst) vs loose floor', res.cold?.ours.vs.loose, 0.9, 'higher');
  add('100-byte lines vs tight floor', res.lengths?.[100]?.ours.vs.tight, 0.9, 'higher');
  add('RTT p50 vs tight floor', res.rtt?.ours.vs.tight.p50, 1.1, 'lower');
  add('RTT p99 vs tight floor', res.rtt?.ours.vs.tight.p99, 1.5, 'lower');
  for (const s of [sweepTarget('line-length sweep: no cliff', res.lengths), sweepTarget('pipeline-depth sweep: no cliff', res.depths)]) if (s) t.push(s);
  if (res.flood) t.push({ name: 'flood RSS growth (MB)', value: res.flood.growthMB, target: 64, better: 'lower', shown: `${res.flood.growthMB.toFixed(1)} MB` });
  for (const d of res.decoder ?? []) t.push({ name: `${d.name} vs floor`, value: d.ratio, target: 0.8, better: 'higher', shown: `${d.ratio.toFixed(2)}x` });
  if (res.json) t.push(...jsonTargets(res.json));
  for (const x of t) x.ok = x.better === 'higher' ? x.value >= x.target : x.value <= x.target;
  return t;
}

function machineInfo() {
  const cpus = os.cpus();
  return { cores: cpus.length, cpu: cpus[0]?.model?.trim() ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}`, python: pythonVersion() };
}

function pythonVersion() {
  try {
    return execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/**
 * Prints the targets; unless `meta.write` is false, writes the JSON, the SVG
 * and the README section. Returns false only when a correctness check failed
 * (never for speed).
 */
export function writeReports(res, meta) {
  const ts = targets(res);
  console.log(`\n== targets${meta.smoke ? ' (smoke run: printed, not judged)' : ' (printed, never asserted)'}`);
  for (const t of ts) {
    const verdict = meta.smoke ? '' : t.ok ? 'pass' : 'FAIL';
    console.log(`${t.name.padEnd(38)} ${t.shown.padEnd(34)} ${t.better === 'higher' ? '>=' : '<='} ${t.target}  ${verdict}`);
  }
  let ok = true;
  if (res.flood && (res.flood.overflowsDelivered !== 1 || !res.flood.pongAfter)) {
    console.error('flood: expected exactly one overflow answer and a pong after it');
    ok = false;
  }
  if (!meta.write) return ok;
  // meta.date/machine: rewriting the reports of a saved run keeps that run's own.
  const date = meta.date ?? new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const machine = meta.machine ?? machineInfo();
  const docs = join(root, 'docs');
  mkdirSync(docs, { recursive: true });
  const json = { date, machine, command: COMMAND, seconds: meta.seconds, config: { ...meta.C, lengths: meta.LENGTHS, depths: meta.DEPTHS }, skipped: meta.skipped, labels: meta.labels, targets: ts, results: res };
  writeFileSync(join(docs, 'bench-results.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(docs, 'bench.svg'), chart(res, meta, date, machine));
  updateReadme(join(root, 'README.md'), res, meta, ts, date, machine);
  console.log('wrote docs/bench-results.json, docs/bench.svg and the README benchmark section');
  return ok;
}

function chart(res, meta, date, machine) {
  const L = meta.labels;
  const bars = (section, pick) => Object.entries(section).map(([n, s]) => ({ name: n, label: L[n], value: pick(s) }));
  const groups = [];
  if (res.pipelined) groups.push({ title: 'pipelined, warm: throughput vs tight floor', better: 'higher', target: 0.8, bars: bars(res.pipelined, (s) => s.vs.tight.ratio) });
  if (res.cold) groups.push({ title: 'cold (fresh process, first 200k): throughput vs loose floor', better: 'higher', target: 0.9, bars: bars(res.cold, (s) => s.vs.loose.ratio) });
  if (res.lengths?.[100]) groups.push({ title: '100-byte lines: throughput vs tight floor', better: 'higher', target: 0.9, bars: bars(res.lengths[100], (s) => s.vs.tight.ratio) });
  if (res.rtt) {
    groups.push({ title: 'round trip p50 vs tight floor (lower is better)', better: 'lower', target: 1.1, bars: bars(res.rtt, (s) => s.vs.tight.p50.ratio) });
    groups.push({ title: 'round trip p99 vs tight floor (lower is better)', better: 'lower', target: 1.5, bars: bars(res.rtt, (s) => s.vs.tight.p99.ratio) });
  }
  if (res.pipelined) groups.push({ title: 'server CPU per command, warm, vs tight floor (lower is better)', better: 'lower', bars: bars(res.pipelined, (s) => s.cpuVs.ratio) });
  const sweep = (sw, label) => Object.entries(sw).map(([k, s]) => ({ name: 'sweep', label: label(k), value: s.ours.vs.tight.ratio }));
  if (res.lengths) groups.push({ title: 'line-length sweep: socket-oneline vs tight floor, per line length', better: 'higher', bars: sweep(res.lengths, (k) => size(Number(k))) });
  if (res.depths) groups.push({ title: 'pipeline-depth sweep: socket-oneline vs tight floor, per commands in flight', better: 'higher', bars: sweep(res.depths, (k) => `${k} in flight`) });
  if (res.json) {
    const jb = (pick) => Object.entries(res.json.sides).map(([n, s]) => ({ name: n === 'ours' ? 'ours' : n === 'floor' ? 'tight' : n === 'coalesced' ? 'loose' : n, label: s.short, value: pick(jsonRatios(res.json, n, 'floor')) }));
    groups.push({ title: 'JSON call, sequential: p50 vs NDJSON floor (lower is better)', better: 'lower', target: 1.15, bars: jb((r) => r.p50.ratio) });
    groups.push({ title: 'JSON call, 256 in flight: calls/s vs NDJSON floor', better: 'higher', target: 1.0, bars: jb((r) => r.rate.ratio) });
  }
  const notes = Object.entries(meta.skipped).map(([n, why]) => `${L[n]}: not measured (${why})`);
  return ratioChart({
    title: 'socket-oneline and its peers, as ratios (dashed tick: our target)',
    subtitle: `${date} · ${machine.cores} cores · ${machine.cpu} · Node ${machine.node} · ${COMMAND}`,
    groups,
    notes,
  });
}

function updateReadme(path, res, meta, ts, date, machine) {
  const L = meta.labels;
  const r = (v) => (v === undefined ? '' : `${v.ratio.toFixed(2)}x`);
  const lines = [
    `<!-- bench:start (written by \`${COMMAND}\`) -->`,
    '![benchmark ratios](docs/bench.svg)',
    '',
    `Measured ${date} on ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ${machine.platform}` +
      `${machine.python ? `, ${machine.python}` : ''}.`,
    `Rerun with \`${COMMAND}\` (about ${Math.max(1, Math.round(meta.seconds / 60))} min here; it rewrites this section, \`docs/bench.svg\` and`,
    '`docs/bench-results.json`). Every server runs in its own process and the load generator (one raw',
    '`node:net` client for all) in another. A sample lasts at least 0.5 s; ' + `${meta.C.warmup} warm-up rounds are`,
    `discarded, then ${meta.C.rounds} rounds run with the order of the servers rotated; figures are medians, ratios`,
    'are medians of same-round ratios [min-max]. The **tight floor** is a minimal `node:net` server that',
    'decodes each chunk once and slices lines from the string; the **loose floor** decodes each line with',
    'its own `toString`. Server CPU per command is `process.cpuUsage()` (or the runtime\'s equivalent)',
    'read inside the server process. **Cold** is a fresh server process timed on its first burst of',
    `${meta.C.cold.toLocaleString('en-US')} commands. Peers answer with one write per line, as their usual code does.`,
    '',
    '| server | warm commands/s | vs tight | cold vs loose | CPU/command | RTT p50 | RTT p99 |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const n of Object.keys(res.pipelined ?? {})) {
    const p = res.pipelined[n];
    const c = res.cold?.[n];
    const t = res.rtt?.[n];
    lines.push(`| ${n === 'ours' ? `**${L[n]}**` : L[n]} | ${rate(p.rate)} | ${r(p.vs.tight)} | ${r(c?.vs.loose)} | ${us(p.cpuPerCmd)} | ${t ? us(t.p50) : ''} | ${t ? us(t.p99) : ''} |`);
  }
  for (const [n, why] of Object.entries(meta.skipped)) lines.push(`| ${L[n]} | not measured: ${why} | | | | | |`);
  lines.push('', '| target (printed, never asserted in tests) | this run | target | |', '| --- | --- | --- | --- |');
  for (const t of ts) lines.push(`| ${t.name} | ${t.shown} | ${t.better === 'higher' ? '≥' : '≤'} ${t.target} | ${t.ok ? 'pass' : '**miss**'} |`);
  if (res.json) {
    const c = res.json.counts;
    lines.push(
      '',
      `**JSON call** \`add {a,b} -> {sum}\` (\`npx nx run bench:json\`): each server and each client in its own process, ${c.warmup} warm-up`,
      `calls discarded, ${c.seqRounds} rounds of ${c.seq} sequential calls and ${c.rounds} rounds of ${c.count.toLocaleString('en-US')} calls with ${c.depth} in flight, order rotated;`,
      'ratios are medians of same-round ratios. The floor is a hand-written NDJSON client (one write per call) and server;',
      'the coalesced floor also coalesces the writes of one tick, as our client does (a reference, no target).',
      '',
      '| JSON call | sequential calls/s | p50 | p99 | pipelined calls/s | p50 vs floor | p99 vs floor | pipelined vs floor |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const [n, s] of Object.entries(res.json.sides)) {
      const q = jsonRatios(res.json, n, 'floor');
      lines.push(`| ${n === 'ours' ? `**${s.label}**` : s.label} | ${rate(s.seqRate)} | ${us(s.p50)} | ${us(s.p99)} | ${rate(s.rate)} | ${r(q.p50)} | ${r(q.p99)} | ${r(q.rate)} |`);
    }
  }
  if (res.lengths) {
    lines.push('', `Line length (ours / tight floor): ${Object.entries(res.lengths).map(([k, s]) => `${size(Number(k))} ${r(s.ours.vs.tight)}`).join(', ')}.`);
  }
  if (res.depths) lines.push(`Pipeline depth (ours / tight floor): ${Object.entries(res.depths).map(([k, s]) => `${k} ${r(s.ours.vs.tight)}`).join(', ')}.`);
  if (res.reconnect) lines.push(`Reconnect (FIN -> next connection's \`pong\`, same raw client): p50 ${us(res.reconnect.ours.p50)}, ${r(res.reconnect.ours.vs.tight)} the tight floor.`);
  if (res.flood) lines.push(`Flood: ${res.flood.sentMiB} MiB without a LF: server RSS +${res.flood.growthMB.toFixed(1)} MB, one overflow delivered, \`pong\` answered afterwards.`);
  lines.push(
    'No cliff: between neighbouring points of a sweep, our ratio to the floor never falls below 0.7 of',
    'the neighbour\'s (a sudden drop; the slope from latency-bound to CPU-bound points is not one).',
    'The client\'s own cost is measured by the client benchmark. The machine is shared and noisy:',
    'compare ratios, and read the [min-max] spread before trusting a figure.',
    '<!-- bench:end -->',
  );
  const readme = readFileSync(path, 'utf8');
  const start = readme.indexOf('<!-- bench:start');
  const end = readme.indexOf('<!-- bench:end -->');
  if (start === -1 || end === -1) throw new Error('README.md has no bench markers');
  writeFileSync(path, readme.slice(0, start) + lines.join('\n') + readme.slice(end + '<!-- bench:end -->'.length));
}
