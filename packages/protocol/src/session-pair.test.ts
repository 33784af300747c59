import fc from 'fast-check';
import { ClientSession, type ResponseLine } from './client-session.js';
import { SimShell } from './test-support/sim-shell.js';

/**
 * A client and a server session wired back to back with no sockets: what the
 * client writes is fed to the server through a simulated shell (the sample's
 * answers: cmd01 → ack, else nak), and what the server writes is fed back to
 * the client.
 */
class Pair {
  readonly client = new ClientSession();
  readonly shell = new SimShell((c) => ({ kind: 'sync', answers: [c.text === 'cmd01' ? 'ack' : 'nak - unknown cmd'] }));
  get server() {
    return this.shell.session;
  }
  get serverClosed(): 'disconnect' | 'shutdown' | undefined {
    return this.shell.shutdownAsked ? 'shutdown' : this.shell.ended ? 'disconnect' : undefined;
  }
  get seen(): string[] {
    return this.shell.delivered.map((c) => c.text);
  }

  toServer(data: Buffer): void {
    this.shell.wire = [];
    this.shell.feed(data);
    this.shell.drainAll();
    const out = Buffer.concat(this.shell.wire);
    if (out.length > 0) this.client.receive(out);
    if (this.shell.ended) this.client.ended();
  }
}

function collect(c: ClientSession, n: number): string[] {
  const got: string[] = [];
  for (let i = 0; i < n; i++) c.read({ onLine: (l: ResponseLine) => (got.push(l.text), true), onError: () => got.push('<error>') });
  return got;
}

describe('client and server sessions wired together', () => {
  it('handshake, commands, ping and disconnect behave like the original sample', () => {
    const p = new Pair();
    p.toServer(p.client.opened());
    expect(p.client.state).toBe('ready');
    const got = collect(p.client, 3);
    p.toServer(Buffer.concat([p.client.send('cmd01'), p.client.send('bogus'), p.client.send('ping')]));
    expect(got).toEqual(['ack', 'nak - unknown cmd', 'pong']);
    p.toServer(p.client.close('disconnect'));
    expect(p.serverClosed).toBe('disconnect');
    expect(p.client.state).toBe('closed');
    expect(p.seen).toEqual(['cmd01', 'bogus']);
  });

  it('shutdown closes both sides', () => {
    const p = new Pair();
    p.toServer(p.client.opened());
    p.toServer(p.client.close('shutdown'));
    expect(p.serverClosed).toBe('shutdown');
    expect(p.server.state).toBe('ended');
    expect(p.client.state).toBe('closed');
  });

  it('any pipelined burst gets one answer per command, in order [SRS-022]', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('cmd01', 'x', 'ping', 'é'), { maxLength: 50 }), (cmds) => {
        const p = new Pair();
        p.toServer(p.client.opened());
        const got = collect(p.client, cmds.length);
        p.toServer(Buffer.concat(cmds.map((c) => p.client.send(c))));
        expect(got).toEqual(cmds.map((c) => (c === 'cmd01' ? 'ack' : c === 'ping' ? 'pong' : 'nak - unknown cmd')));
      }),
      { numRuns: 200 },
    );
  });
});
