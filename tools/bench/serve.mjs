#!/usr/bin/env node
// One benchmark server in its own process: `node serve.mjs <kind>`
// (`node serve.mjs at <server entry> sync|async` for another build of ours).
// Every server answers `ping` with `pong` and any other line with `ack`; the
// `json-*` kinds (json-peers.mjs) serve the JSON benchmark's `add` call instead.
// Control channel (the same for the Python and Go peers): prints
// `port <n>` on stdout once listening; on stdin, `cpu` prints
// `cpu <user+system µs>` (process.cpuUsage of this process), `rss` prints
// `rss <now> <max seen>`; end of stdin exits.
import net from 'node:net';
import readline from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { jsonKinds } from './json-peers.mjs';

const kind = process.argv[2];

/** Our server, through its public API only. */
async function ours() {
  const { OnelineServer } = await import('@socket-oneline/server');
  const server = new OnelineServer({ handler: () => 'ack' });
  const { port } = await server.listen();
  return port;
}

/** Our server with an async handler: the same answers, through a promise per command. */
async function oursAsync() {
  const { OnelineServer } = await import('@socket-oneline/server');
  const server = new OnelineServer({ handler: async () => 'ack' });
  const { port } = await server.listen();
  return port;
}

/**
 * Our server from another build (`node serve.mjs at <server entry> sync|async`):
 * the same answers, for A/B runs against an earlier commit (ab.mjs).
 */
async function oursAt() {
  const { OnelineServer } = await import(process.argv[3]);
  const handler = process.argv[4] === 'async' ? async () => 'ack' : () => 'ack';
  const server = new OnelineServer({ handler });
  const { port } = await server.listen();
  return port;
}

/** Our server for the flood test: reports what an invalid line looked like. */
async function oursFlood() {
  const { OnelineServer } = await import('@socket-oneline/server');
  const server = new OnelineServer({ handler: (cmd) => (cmd.invalid ? `invalid ${cmd.reason} ${cmd.length}` : 'ack') });
  const { port } = await server.listen();
  return port;
}

/**
 * The tight floor: what a hand-written node:net server can do at best. One
 * decode per chunk (StringDecoder keeps split UTF-8 characters whole), then
 * lines are cut from the string; one write per chunk. No limits, no checks.
 */
function onTight(s) {
  const dec = new StringDecoder('utf8');
  let rest = '';
  s.on('data', (chunk) => {
    const str = rest === '' ? dec.write(chunk) : rest + dec.write(chunk);
    let start = 0;
    let i;
    let out = '';
    while ((i = str.indexOf('\n', start)) !== -1) {
      out += str.slice(start, i) === 'ping' ? 'pong\n' : 'ack\n';
      start = i + 1;
    }
    rest = start === 0 ? str : str.slice(start);
    if (out !== '') s.write(out);
  });
}

/** The loose floor: indexOf on the Buffer, one toString per line, one write per chunk. */
function onLoose(s) {
  let rest = null;
  s.on('data', (chunk) => {
    const buf = rest === null ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    let i;
    let out = '';
    while ((i = buf.indexOf(10, start)) !== -1) {
      out += buf.toString('utf8', start, i) === 'ping' ? 'pong\n' : 'ack\n';
      start = i + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : null;
    if (out !== '') s.write(out);
  });
}

/** What a Node user would write with node:readline: one write per line. */
function onReadline(s) {
  const rl = readline.createInterface({ input: s, crlfDelay: Infinity });
  rl.on('line', (line) => s.write(line === 'ping' ? 'pong\n' : 'ack\n'));
}

let split2;
/** What a Node user would write with split2: one write per line. */
function onSplit2(s) {
  s.pipe(split2()).on('data', (line) => s.write(line === 'ping' ? 'pong\n' : 'ack\n'));
}

function rawServer(onSocket) {
  const server = net.createServer({ noDelay: true }, (s) => {
    s.on('error', () => undefined);
    onSocket(s);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const kinds = {
  ours,
  'ours-async': oursAsync,
  'ours-flood': oursFlood,
  at: oursAt,
  tight: () => rawServer(onTight),
  loose: () => rawServer(onLoose),
  readline: () => rawServer(onReadline),
  split2: async () => {
    split2 = (await import('split2')).default;
    return rawServer(onSplit2);
  },
  ...jsonKinds,
};

if (!(kind in kinds)) {
  console.error(`serve.mjs: unknown kind ${kind}; one of ${Object.keys(kinds).join(', ')}`);
  process.exit(2);
}
let maxRss = process.memoryUsage().rss;
const rssTimer = kind === 'ours-flood' ? setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 20) : undefined;
const port = await kinds[kind]();
process.stdout.write(`port ${port}\n`);
const control = readline.createInterface({ input: process.stdin });
control.on('line', (line) => {
  if (line === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user + u.system}\n`);
  } else if (line === 'rss') {
    const rss = process.memoryUsage().rss;
    maxRss = Math.max(maxRss, rss);
    process.stdout.write(`rss ${rss} ${maxRss}\n`);
  }
});
control.on('close', () => {
  clearInterval(rssTimer);
  process.exit(0);
});
