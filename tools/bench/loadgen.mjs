#!/usr/bin/env node
// Load generator, run as a separate process by all.mjs so client load and the
// servers under test never share an event loop. Receives one job over IPC,
// replies with its result, exits.
import net from 'node:net';
import { OnelineClient } from '@socket-oneline/client';

function connectRaw(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `count` commands in bulk, waits for `count` answer lines; returns ms. */
async function pipelined({ port, count }) {
  const s = await connectRaw(port);
  const payload = Buffer.from('cmd01\n'.repeat(count));
  let seen = 0;
  const t0 = process.hrtime.bigint();
  const done = new Promise((resolve) => {
    s.on('data', (chunk) => {
      let i = -1;
      while ((i = chunk.indexOf(10, i + 1)) !== -1) seen++;
      if (seen >= count) resolve();
    });
  });
  s.write(payload);
  await done;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  s.destroy();
  return { ms };
}

/** Sequential ping -> pong with a raw socket; returns the RTTs in µs. */
async function rttRaw({ port, count }) {
  const s = await connectRaw(port);
  const rtts = [];
  let resolveLine;
  let buf = '';
  s.on('data', (d) => {
    buf += d.toString('latin1');
    if (buf.endsWith('\n')) {
      buf = '';
      resolveLine();
    }
  });
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const p = new Promise((r) => (resolveLine = r));
    s.write('ping\n');
    await p;
    rtts.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  s.destroy();
  return { rtts };
}

/** Sequential ping -> pong with our client; returns the RTTs in µs. */
async function rttOurs({ port, count }) {
  const c = new OnelineClient({ port });
  await c.connect();
  const rtts = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await c.request('ping');
    rtts.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  await c.disconnect();
  return { rtts };
}

/** disconnect of one client -> pong of the next (our client, our server); µs. */
async function reconnect({ port, count }) {
  const times = [];
  let c = new OnelineClient({ port });
  await c.connect();
  for (let i = 0; i < count; i++) {
    const next = new OnelineClient({ port, retryFor: 1000 });
    const t0 = process.hrtime.bigint();
    await c.disconnect();
    await next.connect();
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
    c = next;
  }
  await c.disconnect();
  return { times };
}

/** Sends `bytes` without a LF, then one LF and a ping; returns the answers seen. */
async function flood({ port, bytes }) {
  const s = await connectRaw(port);
  const chunk = Buffer.alloc(1 << 20, 0x61);
  let lines = '';
  s.on('data', (d) => (lines += d.toString('latin1')));
  let sent = 0;
  while (sent < bytes) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
    sent += chunk.length;
  }
  s.write('\nping\n');
  const t0 = Date.now();
  while (!lines.includes('pong\n') && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 5));
  s.destroy();
  return { answers: lines.trim().split('\n') };
}

const jobs = { pipelined, rttRaw, rttOurs, reconnect, flood };

process.once('message', async (job) => {
  try {
    const result = await jobs[job.kind](job);
    process.send({ ok: true, result }, () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1));
  }
});
