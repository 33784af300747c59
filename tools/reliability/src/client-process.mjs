#!/usr/bin/env node
// Our client in its own process, so the suite can measure its RSS alone.
// argv[2]: JSON { port, job, options }. Reports one result over IPC and exits.
// Jobs: 'barrier' (request(cmd, {barrier: true}) against a flooding server,
// then wait until the connection closes); 'unread' (send a command, read
// nothing for `holdMs`, report the queue).
import { OnelineClient } from '@socket-oneline/client';

const { port, job, options = {}, holdMs = 2000 } = JSON.parse(process.argv[2]);
const base = { rss: 0, maxRss: 0 };
// Sampling RSS is the measurement tool's job (this is not library code).
const sampler = setInterval(() => (base.maxRss = Math.max(base.maxRss, process.memoryUsage().rss)), 10);

async function main() {
  const c = new OnelineClient({ port, ...options });
  await c.connect();
  base.rss = process.memoryUsage().rss;
  base.maxRss = base.rss;
  const t0 = Date.now();
  if (job === 'barrier') {
    const err = await c.request('go', { barrier: true }).then(() => undefined, (e) => e);
    const rejectedAfterMs = Date.now() - t0;
    const closedWith = await c.closed;
    return { code: err?.code, message: err?.message, rejectedAfterMs, closedCode: closedWith?.code, closedAfterMs: Date.now() - t0 };
  }
  if (job === 'unread') {
    c.send('go');
    await new Promise((r) => setTimeout(r, holdMs));
    const result = { queuedLines: c.queuedLines, queuedBytes: c.queuedBytes };
    c.destroy();
    await c.closed;
    return result;
  }
  throw new Error(`unknown job ${job}`);
}

main().then(
  (result) => {
    clearInterval(sampler);
    process.send({ ok: true, result: { ...result, baseRss: base.rss, maxRss: base.maxRss } }, () => process.exit(0));
  },
  (err) => {
    clearInterval(sampler);
    process.send({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1));
  },
);
