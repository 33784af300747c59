// Model-based test of the client's lifecycle: random sequences of connect,
// request, send + recv, disconnect (once or twice at once), shutdown,
// destroy, `await using`, and the server closing or resetting the
// connection, each call awaited or left running while the next starts,
// against a real loopback server. The reference model is what the caller can
// see at the moment of each call (`connected`) plus the promises already
// handed out; from it each call's allowed outcomes follow:
// - disconnect() and `Symbol.asyncDispose` never reject (no timeout or signal
//   is used here) and leave the client not connected;
// - two disconnect() calls at once on a connected client return one promise,
//   and so do two shutdown() calls;
// - shutdown() on a client that is not connected rejects with a typed error
//   (unless it shares a shutdown already in progress);
// - a request answered is answered with its own line, never another's;
// - every rejection is an OnelineError with a code the call may give;
// - once the client is destroyed, every promise handed out has settled;
// - no unhandled rejection (Jest 30 fails the test on one).
import { expect } from '@jest/globals';
import fc from 'fast-check';
import net from 'node:net';
import { isOnelineError } from '@socket-oneline/protocol';
import { OnelineClient } from './client.js';

/** A loopback server we can make close (FIN) or reset the current connection. */
class ControlledServer {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  current: net.Socket | undefined;
  port = 0;

  constructor() {
    this.server = net.createServer((sock) => {
      this.sockets.add(sock);
      this.current = sock;
      sock.on('error', () => undefined);
      sock.on('close', () => {
        this.sockets.delete(sock);
        if (this.current === sock) this.current = undefined;
      });
      let buf = '';
      sock.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (sock.destroyed || sock.writableEnded) return;
          if (line === 'ping') sock.write('pong\n');
          else if (line === 'disconnect' || line === 'shutdown') sock.end();
          else sock.write(`ack ${line}\n`);
        }
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

type Model = { next: number };
type Real = {
  c: OnelineClient;
  srv: ControlledServer;
  tracked: { what: string; settled: boolean; promise: Promise<unknown> }[];
  problems: string[];
  lastShutdown: Promise<void> | undefined;
};

function codeOf(err: unknown): string {
  return isOnelineError(err) ? err.code : `not an OnelineError: ${String(err)}`;
}

/** Tracks a promise: marks it settled, and checks its outcome when it settles. */
function track<T>(r: Real, what: string, promise: Promise<T>, check: (outcome: { ok: true; value: T } | { ok: false; code: string }) => string | undefined): Promise<void> {
  const entry = { what, settled: false, promise: promise as Promise<unknown> };
  r.tracked.push(entry);
  return promise.then(
    (value) => {
      entry.settled = true;
      const bad = check({ ok: true, value });
      if (bad !== undefined) r.problems.push(`${what}: ${bad}`);
    },
    (err: unknown) => {
      entry.settled = true;
      const bad = check({ ok: false, code: codeOf(err) });
      if (bad !== undefined) r.problems.push(`${what}: ${bad}`);
    },
  );
}

const oneOf = (code: string, allowed: readonly string[]) => (allowed.includes(code) ? undefined : `rejected with ${code}, allowed: ${allowed.join(', ')}`);

abstract class Step implements fc.AsyncCommand<Model, Real> {
  constructor(readonly awaited: boolean) {}
  check(): boolean {
    return true;
  }
  abstract name(): string;
  abstract start(m: Model, r: Real): Promise<void>;
  async run(m: Model, r: Real): Promise<void> {
    const done = this.start(m, r);
    if (this.awaited) await done;
  }
  toString(): string {
    return `${this.name()}${this.awaited ? '' : ' (not awaited)'}`;
  }
}

class Connect extends Step {
  name() {
    return 'connect';
  }
  start(_m: Model, r: Real) {
    const busy = r.c.connected;
    return track(r, 'connect()', r.c.connect(), (o) => {
      if (o.ok) return busy ? 'resolved while already connected' : undefined;
      if (busy) return oneOf(o.code, ['ERR_ONELINE_SERVER_STATE']);
      // A destroy()/disconnect() racing it, a server close or reset during the handshake, or a connect already running.
      return oneOf(o.code, ['ERR_ONELINE_SERVER_STATE', 'ERR_ONELINE_ABORTED', 'ERR_ONELINE_BUSY', 'ERR_ONELINE_SOCKET', 'ERR_ONELINE_CLOSED']);
    });
  }
}

class Request extends Step {
  name() {
    return 'request';
  }
  start(m: Model, r: Real) {
    const id = m.next++;
    const up = r.c.connected;
    return track(r, `request(${id})`, r.c.request(String(id)), (o) => {
      if (o.ok) {
        if (!up) return 'answered although the client was not connected';
        return o.value[0]?.text === `ack ${id}` ? undefined : `got ${JSON.stringify(o.value.map((l) => l.text))}, not its own answer`;
      }
      return oneOf(o.code, up ? ['ERR_ONELINE_CLOSED', 'ERR_ONELINE_SOCKET'] : ['ERR_ONELINE_CLOSED', 'ERR_ONELINE_NOT_CONNECTED']);
    });
  }
}

class SendRecv extends Step {
  name() {
    return 'send + recv';
  }
  start(m: Model, r: Real) {
    const id = m.next++;
    const up = r.c.connected;
    try {
      r.c.send(String(id));
    } catch (err) {
      if (up) r.problems.push(`send(${id}) threw ${codeOf(err)} while connected`);
      else if (!['ERR_ONELINE_CLOSED', 'ERR_ONELINE_NOT_CONNECTED'].includes(codeOf(err))) r.problems.push(`send(${id}) threw ${codeOf(err)}`);
      return Promise.resolve();
    }
    return track(r, `recv(${id})`, r.c.recv({ timeout: 0 }), (o) => {
      if (o.ok) return o.value.text === `ack ${id}` ? undefined : `got ${JSON.stringify(o.value.text)}, not the answer to its send`;
      return oneOf(o.code, ['ERR_ONELINE_CLOSED', 'ERR_ONELINE_SOCKET']);
    });
  }
}

class Disconnect extends Step {
  constructor(
    awaited: boolean,
    readonly twice: boolean,
  ) {
    super(awaited);
  }
  name() {
    return this.twice ? 'disconnect x2 at once' : 'disconnect';
  }
  start(_m: Model, r: Real) {
    const up = r.c.connected;
    const a = r.c.disconnect();
    const calls = [a];
    if (this.twice) {
      const b = r.c.disconnect();
      if (up && b !== a) r.problems.push('two disconnect() calls at once on a connected client returned two promises');
      calls.push(b);
    }
    return Promise.all(
      calls.map((p) =>
        track(r, 'disconnect()', p, (o) => {
          if (!o.ok) return `rejected with ${o.code}: disconnect() must resolve`;
          return r.c.connected ? 'resolved while the client is still connected' : undefined;
        }),
      ),
    ).then(() => undefined);
  }
}

class Shutdown extends Step {
  name() {
    return 'shutdown';
  }
  start(_m: Model, r: Real) {
    const up = r.c.connected;
    const p = r.c.shutdown();
    const shared = p === r.lastShutdown;
    r.lastShutdown = p;
    return track(r, 'shutdown()', p, (o) => {
      if (up || shared) return o.ok ? undefined : oneOf(o.code, ['ERR_ONELINE_ABORTED']);
      return o.ok ? 'resolved although the client was not connected (it could not ask the server)' : oneOf(o.code, ['ERR_ONELINE_NOT_CONNECTED', 'ERR_ONELINE_CLOSED']);
    });
  }
}

class Destroy extends Step {
  name() {
    return 'destroy';
  }
  start(_m: Model, r: Real) {
    r.c.destroy();
    if (r.c.connected) r.problems.push('connected right after destroy()');
    return Promise.resolve();
  }
}

class Dispose extends Step {
  name() {
    return 'await using (asyncDispose)';
  }
  start(_m: Model, r: Real) {
    return track(r, 'asyncDispose', r.c[Symbol.asyncDispose](), (o) => {
      if (!o.ok) return `rejected with ${o.code}: it never throws`;
      return r.c.connected ? 'resolved while still connected' : undefined;
    });
  }
}

class ServerEnds extends Step {
  constructor(readonly reset: boolean) {
    super(false);
  }
  name() {
    return this.reset ? 'server resets the connection' : 'server closes the connection';
  }
  start(_m: Model, r: Real) {
    const s = r.srv.current;
    if (s !== undefined) {
      // A reset while our own FIN (end()) is still pending leaves Node's native TCP handle
      // referenced at process teardown: the jest process then spins at exit. After end(), a
      // reset is a plain destroy.
      if (this.reset) {
        if (s.writableEnded) s.destroy();
        else s.resetAndDestroy();
      } else s.end();
    }
    return Promise.resolve();
  }
}

class Pause extends Step {
  constructor(readonly ms: number) {
    super(true);
  }
  name() {
    return `pause ${this.ms} ms`;
  }
  start() {
    return new Promise<void>((r) => setTimeout(r, this.ms));
  }
}

const step = fc.oneof(
  { weight: 3, arbitrary: fc.boolean().map((a) => new Connect(a)) },
  { weight: 3, arbitrary: fc.boolean().map((a) => new Request(a)) },
  { weight: 2, arbitrary: fc.boolean().map((a) => new SendRecv(a)) },
  { weight: 3, arbitrary: fc.tuple(fc.boolean(), fc.boolean()).map(([a, t]) => new Disconnect(a, t)) },
  { weight: 2, arbitrary: fc.boolean().map((a) => new Shutdown(a)) },
  { weight: 1, arbitrary: fc.constant(new Destroy(true)) },
  { weight: 1, arbitrary: fc.boolean().map((a) => new Dispose(a)) },
  { weight: 2, arbitrary: fc.boolean().map((reset) => new ServerEnds(reset)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 5 }).map((ms) => new Pause(ms)) },
);

let srv: ControlledServer;
beforeEach(async () => {
  srv = new ControlledServer();
  await srv.listen();
});
afterEach(() => srv.close());

describe('client lifecycle model', () => {
  it('any order of calls and server closes: every promise settles, disconnect() is idempotent, each outcome is one the model allows [SRS-057]', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands([step], { maxCommands: 14 }), async (cmds) => {
        const c = new OnelineClient({ port: srv.port });
        const real: Real = { c, srv, tracked: [], problems: [], lastShutdown: undefined };
        try {
          await fc.asyncModelRun(() => ({ model: { next: 0 }, real }), cmds);
          // The end of a test's teardown: make sure we are not connected, twice.
          await track(real, 'final disconnect()', c.disconnect(), (o) => (o.ok ? undefined : `rejected with ${o.code}`));
          await track(real, 'final disconnect() again', c.disconnect(), (o) => (o.ok ? undefined : `rejected with ${o.code}`));
          if (c.connected) real.problems.push('connected after the final disconnect()');
        } finally {
          c.destroy();
          await c.closed;
          // Bounded: everything handed out must settle now that the socket is closed.
          await Promise.race([Promise.allSettled(real.tracked.map((t) => t.promise)), new Promise((r) => setTimeout(r, 2000))]);
        }
        const pending = real.tracked.filter((t) => !t.settled).map((t) => t.what);
        expect({ problems: real.problems, pending }).toEqual({ problems: [], pending: [] });
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
