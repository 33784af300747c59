#!/usr/bin/env node
// Load generator: its own process (forked by all.mjs), so client load never
// shares an event loop, heap or GC with a server under test. It stays up for
// the whole run (its own JIT warms once, then costs every server the same)
// and serves jobs over IPC: { id, kind, ... } -> { id, ok, result | error }.
// It is the same raw node:net client for every server: a difference between
// servers is a server difference.
import net from 'node:net';

const ANSWER = 4; // 'ack\n'

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Half-closes and waits until the server closed too (its slot is then free). */
function finish(s) {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve();
    s.once('close', resolve);
    s.resume();
    s.end();
    setTimeout(() => s.destroy(), 5000).unref();
  });
}

/** Lines of `lineBytes` bytes including the LF: 6 gives `cmd01\n`. */
function lineOf(lineBytes) {
  return lineBytes === 6 ? 'cmd01\n' : `${'x'.repeat(lineBytes - 1)}\n`;
}

/**
 * Sends `count` lines as fast as the socket takes them (blocks of about
 * 1 MiB, honouring backpressure) and waits for `count` answers; returns ms
 * from the first byte written to the last answer byte read.
 */
async function pipelined({ port, count, lineBytes = 6 }) {
  const s = await connect(port);
  const perBlock = Math.max(1, Math.min(count, Math.floor((1 << 20) / lineBytes)));
  const block = Buffer.from(lineOf(lineBytes).repeat(perBlock));
  const want = count * ANSWER;
  let got = 0;
  let first = null;
  let t1 = 0n;
  const done = new Promise((resolve, reject) => {
    s.on('data', (chunk) => {
      first ??= chunk.toString('latin1', 0, 4);
      got += chunk.length;
      if (got >= want) {
        t1 = process.hrtime.bigint();
        resolve();
      }
    });
    s.once('close', () => (got >= want ? resolve() : reject(new Error(`server closed after ${got}/${want} answer bytes`))));
  });
  const t0 = process.hrtime.bigint();
  let sent = 0;
  while (sent < count) {
    const n = Math.min(perBlock, count - sent);
    const ok = s.write(n === perBlock ? block : block.subarray(0, n * lineBytes));
    sent += n;
    if (!ok && sent < count) await new Promise((r) => s.once('drain', r));
  }
  await done;
  if (first !== 'ack\n' || got !== want) throw new Error(`unexpected answers: first ${JSON.stringify(first)}, ${got}/${want} bytes`);
  await finish(s);
  return { ms: Number(t1 - t0) / 1e6 };
}

/** Keeps `depth` commands in flight until `count` are answered; returns ms. */
async function depth({ port, count, depth: d }) {
  const s = await connect(port);
  const block = Buffer.from('cmd01\n'.repeat(Math.min(d, count)));
  const want = count * ANSWER;
  let got = 0;
  let sent = 0;
  let t1 = 0n;
  const send = (n) => {
    if (n <= 0) return;
    s.write(n * 6 === block.length ? block : block.subarray(0, n * 6));
    sent += n;
  };
  const done = new Promise((resolve, reject) => {
    s.on('data', (chunk) => {
      const before = Math.floor(got / ANSWER);
      got += chunk.length;
      const answered = Math.floor(got / ANSWER);
      send(Math.min(answered - before, count - sent));
      if (got >= want) {
        t1 = process.hrtime.bigint();
        resolve();
      }
    });
    s.once('close', () => (got >= want ? resolve() : reject(new Error(`server closed after ${got}/${want} answer bytes`))));
  });
  const t0 = process.hrtime.bigint();
  send(Math.min(d, count));
  await done;
  await finish(s);
  return { ms: Number(t1 - t0) / 1e6 };
}

/** Sequential `ping` -> `pong` with a raw socket; returns the RTTs in µs. */
async function rtt({ port, count }) {
  const s = await connect(port);
  const rtts = new Float64Array(count);
  let wake;
  let got = 0;
  s.on('data', (d) => {
    got += d.length;
    if (got >= 5) {
      got -= 5;
      wake();
    }
  });
  for (let i = 0; i < count; i++) {
    const p = new Promise((r) => (wake = r));
    const t0 = process.hrtime.bigint();
    s.write('ping\n');
    await p;
    rtts[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  await finish(s);
  return { rtts: Array.from(rtts) };
}

/**
 * One client leaves (FIN, then waits for the server's close), the next
 * connects and gets its `pong`: µs from the leaving client's FIN to that
 * `pong`, the same raw client against every server.
 */
async function reconnect({ port, count }) {
  const times = [];
  let s = await connect(port);
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await finish(s);
    s = await connect(port);
    await new Promise((resolve, reject) => {
      let got = '';
      s.on('data', (d) => {
        got += d.toString('latin1');
        if (got === 'pong\n') resolve();
      });
      s.once('close', () => reject(new Error(`closed before pong (got ${JSON.stringify(got)})`)));
      s.write('ping\n');
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
    s.removeAllListeners('data');
    s.removeAllListeners('close');
  }
  await finish(s);
  return { times };
}

/** Sends `bytes` without a LF, then one LF and a ping; returns the answers seen. */
async function flood({ port, bytes }) {
  const s = await connect(port);
  const chunk = Buffer.alloc(1 << 20, 0x61);
  let lines = '';
  let wake;
  s.on('data', (d) => {
    lines += d.toString('latin1');
    if (lines.includes('pong\n')) wake?.();
  });
  let sent = 0;
  while (sent < bytes) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
    sent += chunk.length;
  }
  const pong = new Promise((r) => (wake = r));
  s.write('\nping\n');
  if (!lines.includes('pong\n')) await Promise.race([pong, new Promise((r) => setTimeout(r, 10_000).unref())]);
  await finish(s);
  return { answers: lines.trim().split('\n') };
}

const jobs = { pipelined, depth, rtt, reconnect, flood };

process.on('message', async (job) => {
  try {
    const result = await jobs[job.kind](job);
    process.send({ id: job.id, ok: true, result });
  } catch (err) {
    process.send({ id: job.id, ok: false, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
