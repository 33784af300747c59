#!/usr/bin/env node
// Our server in its own process for the client benchmark: answers every
// command with `ack` (and `ping` with `pong`). Sends its port over IPC; exits on 'stop'.
import { OnelineServer } from '@socket-oneline/server';

const server = new OnelineServer({ handler: () => 'ack' });
const { port } = await server.listen();
process.on('message', (m) => {
  if (m === 'stop') void server.close().then(() => process.exit(0));
});
process.send({ port });
