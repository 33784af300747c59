#!/usr/bin/env node
// The client of one side of the JSON benchmark, in its own process (see
// json.mjs), driven over IPC like loadgen.mjs ({ id, kind, ... } -> { id, ok,
// result | error }): `connect` makes one client of `impl` to its server,
// `seq` makes `count` sequential calls of `add {a, b} -> {sum}` (each timed,
// in µs), `pipelined` makes `count` calls kept `depth` in flight (timed as a
// whole, in ms), `close` closes. Every answer is checked.
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
 * order), one write per call. `coalesce`: writes of one tick go out
 * together (cork until the next tick), as the client benchmark's raw client does.
 */
async function floor(port, _at, coalesce = false) {
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
    if (coalesce && !corked) {
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

const impls = { ours, vscode, 'json-rpc-2.0': jsonRpc2, floor, 'floor-coalesced': (port) => floor(port, undefined, true) };

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

let c;
const jobs = {
  connect: async ({ impl, at, port }) => {
    c = await impls[impl](port, at);
  },
  seq: async ({ count }) => {
    const rtts = [];
    await sequential(c, count, rtts);
    return { rtts };
  },
  pipelined: async ({ count, depth }) => ({ ms: await pipelined(c, count, depth) }),
  close: async () => {
    await c?.close();
    c = undefined;
  },
};

process.on('message', async (job) => {
  try {
    process.send({ id: job.id, ok: true, result: await jobs[job.kind](job) });
  } catch (err) {
    process.send({ id: job.id, ok: false, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
