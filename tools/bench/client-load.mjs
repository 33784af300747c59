#!/usr/bin/env node
// One client-benchmark job in its own process (see client.mjs): our client or
// a raw node:net client with one promise per request. Warms up first (not
// measured), then runs the job and reports over IPC.
import net from 'node:net';
import { OnelineClient } from '@socket-oneline/client';

/** A raw client: one promise per request, resolved in order by a head index; writes coalesced per tick (cork). */
class RawClient {
  constructor(socket) {
    this.s = socket;
    this.waiting = [];
    this.head = 0;
    this.rest = '';
    this.corked = false;
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      const str = this.rest + d.toString('latin1');
      let start = 0;
      let i;
      while ((i = str.indexOf('\n', start)) !== -1) {
        const line = str.slice(start, i);
        start = i + 1;
        const r = this.waiting[this.head];
        this.waiting[this.head++] = undefined;
        r(line);
      }
      this.rest = str.slice(start);
      if (this.head === this.waiting.length) {
        this.waiting = [];
        this.head = 0;
      }
    });
  }
  static connect(port) {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
      s.once('error', reject);
      s.once('connect', () => {
        const c = new RawClient(s);
        c.request('ping').then(() => resolve(c), reject);
      });
    });
  }
  request(cmd) {
    if (!this.corked) {
      this.corked = true;
      this.s.cork();
      process.nextTick(() => {
        this.corked = false;
        this.s.uncork();
      });
    }
    const p = new Promise((r) => this.waiting.push(r));
    this.s.write(`${cmd}\n`);
    return p;
  }
  close() {
    this.s.destroy();
  }
}

async function connect(kind, port) {
  if (kind === 'raw') return RawClient.connect(port);
  const c = new OnelineClient({ port, retryFor: 5000, timeout: 60_000 });
  await c.connect();
  return c;
}

async function pipelined(c, count) {
  const t0 = process.hrtime.bigint();
  const all = [];
  for (let i = 0; i < count; i++) all.push(c.request('cmd01'));
  const res = await Promise.all(all);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // Sanity: every answer is the right one.
  const first = res[0];
  const text = typeof first === 'string' ? first : first[0].text;
  if (text !== 'ack' || res.length !== count) throw new Error(`bad answers: ${text} x${res.length}`);
  return ms;
}

async function rtt(c, count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await c.request('cmd01');
    out.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return out;
}

process.once('message', async ({ kind, test, count, warmup, port }) => {
  try {
    const c = await connect(kind, port);
    // Warm-up (discarded): lets the JIT settle on both sides.
    if (test === 'pipelined') await pipelined(c, warmup);
    else await rtt(c, warmup);
    const result = test === 'pipelined' ? { ms: await pipelined(c, count) } : { rtts: await rtt(c, count) };
    if (kind === 'raw') c.close();
    else await c.disconnect();
    process.send({ ok: true, result }, () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1));
  }
});
