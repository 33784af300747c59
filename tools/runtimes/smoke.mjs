#!/usr/bin/env node
// Smoke test of the BUILT packages on any runtime with Node's net/tls APIs
// (Node, Bun, Deno): TCP, TLS, a Unix socket (`path` on server and client),
// pipelining, exact payloads (multi-byte, long, invalid UTF-8, CR LF), a busy
// second client, shutdown, `Symbol.asyncDispose`. Run from the repo root
// after a build: `node|bun tools/runtimes/smoke.mjs`, `deno run -A tools/runtimes/smoke.mjs`.
// Prints one line per case and `smoke: N passed, M failed, K skipped`;
// exits non-zero if any case fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { OnelineClient, isOnelineError } from '@socket-oneline/client';
import { OnelineServer } from '@socket-oneline/server';

const runtime =
  typeof globalThis.Bun !== 'undefined' ? `bun ${globalThis.Bun.version}` : typeof globalThis.Deno !== 'undefined' ? `deno ${globalThis.Deno.version.deno}` : `node ${process.version}`;
const counts = { passed: 0, failed: 0, skipped: 0 };
const say = (s) => console.log(`smoke (${runtime}): ${s}`);
const handler = (cmd) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd');

// A hang detector for the whole run, not a speed claim.
const watchdog = setTimeout(() => {
  say('FAIL: no result within 60 s');
  process.exit(1);
}, 60_000);

/** Runs one case with the server and client it makes closed afterwards. */
async function check(name, fn) {
  const open = [];
  const track = (x) => (open.push(x), x);
  try {
    const note = await fn(track);
    if (typeof note === 'string' && note.startsWith('SKIP')) {
      counts.skipped++;
      say(`skip ${name}: ${note.slice(5)}`);
    } else {
      counts.passed++;
      say(`ok   ${name}${note ? ` (${note})` : ''}`);
    }
  } catch (err) {
    counts.failed++;
    say(`FAIL ${name}: ${err?.stack ?? err}`);
  } finally {
    for (const x of open.reverse()) {
      if (x instanceof OnelineClient || x instanceof net.Socket) x.destroy();
      else if (x.running) await x.close();
    }
  }
}

function expectEqual(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

/** Connects, checks ping and cmd01, shuts the server down through the client. */
async function roundTrip(track, serverOptions, clientOptions) {
  const server = track(new OnelineServer({ handler, ...serverOptions }));
  const address = await server.listen();
  const client = track(new OnelineClient({ ...clientOptions(address) }));
  await client.connect();
  const [pong] = await client.request('ping');
  const [ack] = await client.request('cmd01');
  expectEqual([pong.text, ack.text], ['pong', 'ack'], 'answers');
  await client.shutdown();
  await server.closed;
  if (server.running) throw new Error('server still running after shutdown');
  return address;
}

await check('the packages resolve to their built ESM entry points', () => {
  const found = ['protocol', 'server', 'client'].map((n) => import.meta.resolve(`@socket-oneline/${n}`));
  for (const url of found) if (!url.endsWith('/dist/index.js')) throw new Error(`resolved to ${url}, not a built dist/index.js`);
  return found.map((u) => u.replace(/^.*\/packages\//, '')).join(', ');
});

await check('require() loads the built CommonJS entry points', () => {
  const require = createRequire(import.meta.url);
  for (const n of ['protocol', 'server', 'client']) {
    const path = require.resolve(`@socket-oneline/${n}`);
    if (!path.endsWith('/dist/cjs/index.js')) throw new Error(`require resolved ${n} to ${path}`);
  }
  const { OnelineServer: S } = require('@socket-oneline/server');
  const { isOnelineError: is } = require('@socket-oneline/client');
  if (typeof S !== 'function' || !is(Object.assign(new Error('x'), { name: 'OnelineError', code: 'ERR_ONELINE_BUSY' }), 'ERR_ONELINE_BUSY')) {
    throw new Error('the CommonJS exports are not usable');
  }
});

await check('TCP: connect (ping handshake), ping, cmd01, shutdown', async (track) => {
  const { port } = await roundTrip(track, {}, ({ port }) => ({ port }));
  return `port ${port}`;
});

await check('TLS: the same over node:tls with a private CA', async (track) => {
  const { makeCerts } = createRequire(import.meta.url)('@socket-oneline/testkit/certs');
  const certs = makeCerts();
  try {
    await roundTrip(track, { tls: { key: certs.serverKey, cert: certs.serverCert } }, ({ port }) => ({ port, tls: { ca: certs.ca, servername: 'localhost' } }));
  } finally {
    certs.remove();
  }
});

await check('Unix socket: the same over a socket file (server and client with `path`), plus busy and pipelining there', async (track) => {
  if (process.platform === 'win32') return 'SKIP no Unix sockets on Windows (named pipes take the same path option)';
  const dir = mkdtempSync(join(tmpdir(), 'oneline-smoke-'));
  try {
    const path = join(dir, 'control.sock');
    const address = await roundTrip(track, { path }, () => ({ path }));
    expectEqual(address.address, path, 'the address listened on');
    const server = track(new OnelineServer({ handler, path }));
    await server.listen();
    const first = track(new OnelineClient({ path }));
    await first.connect();
    const second = track(new OnelineClient({ path }));
    try {
      await second.connect();
      throw new Error('the second client connected');
    } catch (err) {
      if (!isOnelineError(err, 'ERR_ONELINE_BUSY')) throw err;
    }
    const cmds = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 'cmd01' : 'ping'));
    const answers = await Promise.all(cmds.map((c) => first.request(c)));
    expectEqual(answers.map(([l]) => l.text), cmds.map((c) => (c === 'cmd01' ? 'ack' : 'pong')), 'pipelined answers');
    await first[Symbol.asyncDispose]();
    if (first.connected) throw new Error('still connected after Symbol.asyncDispose');
    return path;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

await check('pipelining: 200 requests in flight, answers in order', async (track) => {
  const server = track(new OnelineServer({ handler }));
  const { port } = await server.listen();
  const client = track(new OnelineClient({ port }));
  await client.connect();
  const cmds = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 'cmd01' : i % 3 === 1 ? 'ping' : `x${i}`));
  const answers = await Promise.all(cmds.map((c) => client.request(c)));
  expectEqual(
    answers.map(([l]) => l.text),
    cmds.map((c) => (c === 'cmd01' ? 'ack' : c === 'ping' ? 'pong' : 'nak - unknown cmd')),
    'pipelined answers',
  );
  await client.disconnect();
});

await check('payloads: multi-byte, long (100 B to 70 KB), invalid UTF-8 and CR LF lines, written in 777-byte pieces, come back exact', async (track) => {
  // The engine-specific paths of the decoder (latin1Slice/utf8Slice, segments) and the encoder (utf8Write).
  const server = track(
    new OnelineServer({ handler: (cmd) => (cmd.invalid ? `invalid:${cmd.reason}:${cmd.length}` : [`echo:${cmd.text}`, Buffer.from(`len:${cmd.length}`)]) }),
  );
  const { port } = await server.listen();
  const lines = ['cmd01', 'h\u00e9llo \u2713 \ud83d\ude00', 'x'.repeat(100), 'y'.repeat(2000), 'z'.repeat(70000), '\u00e9'.repeat(30000), '', 'a\rb', 'crlf\r'];
  const payload = Buffer.concat([...lines.map((l) => Buffer.from(`${l}\n`)), Buffer.from([0xff, 0x61, 0x0a]), Buffer.from('ping\n'), Buffer.from('cmd01\n'.repeat(3000))]);
  const want = lines
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .flatMap((l) => [`echo:${l}`, `len:${Buffer.byteLength(l)}`])
    .concat(['invalid:undecodable:2', 'pong'], Array.from({ length: 3000 }, () => ['echo:cmd01', 'len:5']).flat());
  const sock = track(net.connect({ host: '127.0.0.1', port }));
  await new Promise((resolve, reject) => (sock.once('connect', resolve), sock.once('error', reject)));
  const text = new StringDecoder('utf8');
  let got = '';
  const done = new Promise((resolve) => {
    sock.on('data', (d) => {
      got += text.write(d);
      if (got.split('\n').length - 1 >= want.length) resolve();
    });
  });
  for (let i = 0; i < payload.length; i += 777) sock.write(payload.subarray(i, i + 777));
  await done;
  expectEqual(got.split('\n').slice(0, -1), want, 'echoed lines');
  sock.end();
});

await check('busy: a second client fails fast with ERR_ONELINE_BUSY, the first is unaffected', async (track) => {
  const server = track(new OnelineServer({ handler }));
  const { port } = await server.listen();
  const first = track(new OnelineClient({ port }));
  await first.connect();
  const second = track(new OnelineClient({ port }));
  const t0 = performance.now();
  try {
    await second.connect();
    throw new Error('the second client connected');
  } catch (err) {
    if (!isOnelineError(err, 'ERR_ONELINE_BUSY')) throw err;
  }
  const ms = performance.now() - t0;
  expectEqual((await first.request('cmd01'))[0].text, 'ack', 'first client after busy');
  return `busy after ${ms.toFixed(1)} ms`;
});

clearTimeout(watchdog);
say(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
process.exitCode = counts.failed > 0 ? 1 : 0;
