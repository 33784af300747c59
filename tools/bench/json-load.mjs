#!/usr/bin/env node
// One JSON-benchmark job in its own process (see json.mjs): one client of
// `impl` calls `add {a, b} -> {sum}` on its server, first `warmup` sequential
// calls and a pipelined burst (discarded), then `seq` sequential calls (each
// timed) and `pipelined` calls kept `depth` in flight (timed as a whole).
// Every answer is checked. Reports over IPC.
import net from 'node:net';
import readline from 'node:readline';

function connectSocket(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.setNoDelay(true);
      resolve(s);
    });
  });
}

/** Ours: OnelineClient + JsonClient.call (`at`: another build's client entry). */
async function ours(port, at) {
  const { OnelineClient, JsonClient } = await import(at ?? '@socket-oneline/client');
  const client = new OnelineClient({ port, retryFor: 5000 });
  await client.connect();
  const json = new JsonClient(client);
  return { call: (a, b) => json.call('add', { a, b }), close: () => client.disconnect() };
}

/** vscode-jsonrpc over the socket, as its README sets it up. */
async function vscode(port) {
  const rpc = await import('vscode-jsonrpc/node');
  const s = await connectSocket(port);
  const conn = rpc.createMessageConnection(new rpc.SocketMessageReader(s), new rpc.SocketMessageWriter(s));
  conn.listen();
  return { call: (a, b) => conn.sendRequest('add', { a, b }), close: () => (conn.dispose(), s.destroy()) };
}

/** json-rpc-2.0 over node:readline lines, one write per request, as its users write it. */
async function jsonRpc2(port) {
  const { JSONRPCClient } = await import('json-rpc-2.0');
  const s = await connectSocket(port);
  const client = new JSONRPCClient((req) => {
    s.write(`${JSON.stringify(req)}\n`);
  });
  readline.createInterface({ input: s, crlfDelay: Infinity }).on('line', (line) => client.receive(JSON.parse(line)));
  return { call: (a, b) => client.request('add', { a, b }), close: () => s.destroy() };
}

/**
 * The floor: a hand-written NDJSON client with no timeouts, limits or
 * checks. Split on LF, JSON.parse, a FIFO of resolvers (answers come in
 * order); writes of one tick coalesced (cork), like the raw client of the
 * client benchmark.
 */
async function floor(port) {
  const s = await connectSocket(port);
  s.setEncoding('utf8');
  let waiting = [];
  let head = 0;
  let rest = '';
  let corked = false;
  s.on('data', (chunk) => {
    const str = rest === '' ? chunk : rest + chunk;
    let start = 0;
    let i;
    while ((i = str.indexOf('\n', start)) !== -1) {
      const r = waiting[head];
      waiting[head++] = undefined;
      r(JSON.parse(str.slice(start, i)));
      start = i + 1;
    }
    rest = start === 0 ? str : str.slice(start);
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    }
  });
  const uncork = () => {
    corked = false;
    s.uncork();
  };
  const call = (a, b) => {
    if (!corked) {
      corked = true;
      s.cork();
      process.nextTick(uncork);
    }
    const p = new Promise((r) => waiting.push(r));
    s.write(`${JSON.stringify({ cmd: 'add', a, b })}\n`);
    return p;
  };
  return { call, close: () => s.destroy() };
}

const impls = { ours, vscode, 'json-rpc-2.0': jsonRpc2, floor };

function check(res, a, b) {
  if (res?.sum !== a + b) throw new Error(`bad answer to add(${a}, ${b}): ${JSON.stringify(res)}`);
}

async function sequential(c, count, out) {
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const res = await c.call(i, 1);
    const t1 = process.hrtime.bigint();
    check(res, i, 1);
    out?.push(Number(t1 - t0) / 1e3);
  }
}

/** `count` calls, `depth` kept in flight; resolves with the ms it took. */
function pipelined(c, count, depth) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let sent = 0;
    let done = 0;
    const next = () => {
      const a = sent++;
      c.call(a, 2).then((res) => {
        check(res, a, 2);
        if (++done === count) resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        else if (sent < count) next();
      }).catch(reject);
    };
    for (let i = 0; i < Math.min(depth, count); i++) next();
  });
}

process.once('message', async ({ impl, at, port, warmup, seq, count, depth }) => {
  try {
    const c = await impls[impl](port, at);
    await sequential(c, warmup);
    await pipelined(c, Math.max(depth, warmup), depth);
    const rtts = [];
    await sequential(c, seq, rtts);
    const ms = await pipelined(c, count, depth);
    await c.close();
    process.send({ ok: true, result: { rtts, ms } }, () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1));
  }
});
