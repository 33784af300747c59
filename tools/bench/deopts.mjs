#!/usr/bin/env node
// How often V8 (re)optimizes and deoptimizes the server's hot functions in a
// fresh process: runs our server (serve.mjs ours) under --trace-opt
// --trace-deopt, sends it `--bursts` pipelined bursts of 200k commands (the
// cold benchmark's first burst, then more), and counts trace lines per
// function. A function that settles early is optimized once or twice and
// never deoptimized after its first burst.
//   node tools/bench/deopts.mjs [--bursts 3] [--functions feed,receiveTo,...] [--verbose]
import { args } from './common.mjs';
import { Loadgen, ServerProc } from './procs.mjs';

const opts = args();
const bursts = Number(opts.bursts ?? 3);
const fns = String(opts.functions ?? 'feed,feedTo,scanString,scanBytes,receive,next').split(',');
const count = Number(opts.count ?? 200_000);

const p = new ServerProc('ours', [process.execPath, '--trace-opt', '--trace-deopt', new URL('./serve.mjs', import.meta.url).pathname, 'ours'], { keep: true });
const lg = new Loadgen();
const port = await p.port;
const perBurst = [];
for (let b = 0; b < bursts; b++) {
  const { ms } = await lg.run({ kind: 'pipelined', port, count });
  await p.cpu(); // a round trip on the control channel: traces of the burst are in
  perBurst.push({ ms, lines: p.other.splice(0) });
}
await lg.stop();
await p.stop();

// Trace lines name functions as `<JSFunction feed (sfi = ...)>`.
// Node 20 prints `completed compiling` and `completed optimizing` for one
// optimization; count the latter when the runtime prints it.
const optimizing = perBurst.some(({ lines }) => lines.some((l) => l.startsWith('[completed optimizing')));
const kinds = [
  ['optimized', optimizing ? /^\[completed optimizing/ : /^\[completed compiling/],
  ['deoptimized', /^\[bailout \(kind: deopt|^\[deoptimizing/],
];
const total = Object.fromEntries(fns.map((f) => [f, { optimized: 0, deoptimized: 0 }]));
console.log(`deopt trace of a fresh server process: ${bursts} bursts of ${count} commands (Node ${process.version})`);
console.log(`${'burst'.padEnd(8)} ${'ms'.padStart(8)}  ${fns.map((f) => `${f} opt/deopt`.padStart(22)).join(' ')}`);
perBurst.forEach(({ ms, lines }, i) => {
  const row = [];
  for (const f of fns) {
    const mine = lines.filter((l) => l.includes(`<JSFunction ${f} `));
    const c = {};
    for (const [k, re] of kinds) c[k] = mine.filter((l) => re.test(l)).length;
    total[f].optimized += c.optimized;
    total[f].deoptimized += c.deoptimized;
    row.push(`${c.optimized}/${c.deoptimized}`.padStart(22));
    if (opts.verbose) for (const l of mine) if (!/^\[(marking|compiling method)/.test(l)) console.log(`    ${l.slice(0, 240)}`);
  }
  console.log(`${String(i + 1).padEnd(8)} ${ms.toFixed(1).padStart(8)}  ${row.join(' ')}`);
});
console.log(`total    ${''.padStart(8)}  ${fns.map((f) => `${total[f].optimized}/${total[f].deoptimized}`.padStart(22)).join(' ')}`);
