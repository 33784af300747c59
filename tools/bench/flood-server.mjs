#!/usr/bin/env node
// Our server in its own process for the flood-memory benchmark, so its RSS is
// its own. Prints its port; answers {rss} on IPC request; exits on 'stop'.
import { OnelineServer } from '@socket-oneline/server';

const server = new OnelineServer({ handler: (cmd) => (cmd.invalid ? `invalid ${cmd.reason} ${cmd.length}` : 'ack') });
const { port } = await server.listen();
let maxRss = process.memoryUsage().rss;
const timer = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss)), 20);
process.on('message', (m) => {
  if (m === 'rss') process.send({ rss: process.memoryUsage().rss, maxRss });
  if (m === 'stop') {
    clearInterval(timer);
    void server.close().then(() => process.exit(0));
  }
});
process.send({ port, rss: process.memoryUsage().rss });
