#!/usr/bin/env node
// Our server in its own process, so the suite can measure its RSS, CPU time
// and open file descriptors alone. Options come as JSON in argv[2]. Answers
// IPC requests: 'stats' -> counters and measurements; 'close' -> close().
import { readdirSync } from 'node:fs';
import { OnelineServer } from '@socket-oneline/server';

const { answerBytes, answerKind, ...opts } = JSON.parse(process.argv[2] ?? '{}');
const stats = { handled: 0, tooLong: 0, undecodable: 0, errors: 0, lastText: '', maxRss: process.memoryUsage().rss };
// `answerBytes`: every command is answered with one line of about that many
// bytes, numbered so the client can check the order (`answerKind`: 'string'
// or 'buffer'). Amplification: a 4-byte command, a 60 KB answer.
const pad = answerBytes ? 'x'.repeat(answerBytes) : '';
const server = new OnelineServer({
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
// Sampling RSS is the measurement tool's job (this is not library code).
const sampler = setInterval(() => (stats.maxRss = Math.max(stats.maxRss, process.memoryUsage().rss)), 10);
const { port } = await server.listen();
process.on('message', async (m) => {
  if (m === 'stats') {
    const fds = readdirSync('/proc/self/fd').length;
    process.send({ ...stats, rss: process.memoryUsage().rss, cpu: process.cpuUsage(), fds, hasClient: server.hasClient, running: server.running });
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
