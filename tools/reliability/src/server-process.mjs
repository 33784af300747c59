#!/usr/bin/env node
// Our server in its own process, so the suite can measure its RSS, CPU time
// and open file descriptors alone. Options come as JSON in argv[2]. Answers
// IPC requests: 'stats' -> counters and measurements; 'heap' -> the JS heap
// plus external memory after a full GC (forked with --expose-gc); 'close' ->
// close(). With { floor: true } it is a bare node:net server that reads and
// discards everything instead: the baseline for memory comparisons, measured
// on the same runtime in the same test.
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { OnelineServer } from '@socket-oneline/server';

const { floor = false, answerBytes, answerKind, ...opts } = JSON.parse(process.argv[2] ?? '{}');
const stats = { handled: 0, tooLong: 0, undecodable: 0, errors: 0, lastText: '', maxRss: process.memoryUsage().rss };
// `answerBytes`: every command is answered with one line of about that many
// bytes, numbered so the client can check the order (`answerKind`: 'string'
// or 'buffer'). Amplification: a 4-byte command, a 60 KB answer.
const pad = answerBytes ? 'x'.repeat(answerBytes) : '';
const server = floor ? floorServer() : new OnelineServer({
  ...opts,
  handler: (cmd) => {
    stats.handled++;
    if (answerBytes) {
      const line = `${stats.handled - 1}:${pad}`;
      return answerKind === 'buffer' ? Buffer.from(line) : line;
    }
    if (cmd.reason === 'too-long') stats.tooLong++;
    if (cmd.reason === 'undecodable') stats.undecodable++;
    stats.lastText = cmd.text;
    return cmd.invalid ? `invalid ${cmd.reason} ${cmd.length}` : cmd.text === 'cmd01' ? 'ack' : `re ${cmd.text}`;
  },
});
server.on('error', () => stats.errors++);

/** The floor: same listen/close/hasClient surface as OnelineServer, no protocol at all. */
function floorServer() {
  const sockets = new Set();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  let done;
  const closed = new Promise((r) => (done = r));
  return {
    on: (ev, f) => srv.on(ev, f),
    get hasClient() { return sockets.size > 0; },
    get running() { return srv.listening; },
    closed,
    listen: () => new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv.address()))),
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); srv.close(() => { r(); setImmediate(done); }); }),
  };
}
// Sampling RSS is the measurement tool's job (this is not library code).
const sampler = setInterval(() => (stats.maxRss = Math.max(stats.maxRss, process.memoryUsage().rss)), 10);
const { port } = await server.listen();
process.on('message', async (m) => {
  if (m === 'stats') {
    const fds = readdirSync('/proc/self/fd').length;
    process.send({ ...stats, rss: process.memoryUsage().rss, cpu: process.cpuUsage(), fds, hasClient: server.hasClient, running: server.running });
  } else if (m === 'heap') {
    globalThis.gc();
    globalThis.gc();
    const { heapUsed, external } = process.memoryUsage();
    process.send({ heap: heapUsed + external });
  } else if (m === 'close') {
    await server.close();
    process.send({ closed: true });
  }
});
void server.closed.then(() => {
  clearInterval(sampler);
  process.disconnect?.();
});
process.send({ port, rss: process.memoryUsage().rss, pid: process.pid });
