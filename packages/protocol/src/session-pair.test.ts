import fc from 'fast-check';
import { ClientSession, type ResponseLine } from './client-session.js';
import { encodeLine } from './encoder.js';
import { ServerSession } from './server-session.js';

/**
 * A client and a server session wired back to back with no sockets: what the
 * client writes is fed to the server, the server's actions are carried out by
 * a tiny in-memory "shell" (the sample's answers: cmd01 → ack, else nak), and
 * what it writes is fed back to the client.
 */
class Pair {
  readonly client = new ClientSession();
  readonly server = new ServerSession();
  serverClosed: 'disconnect' | 'shutdown' | undefined;
  readonly seen: string[] = [];

  toServer(data: Buffer): void {
    const out: Buffer[] = [];
    for (const a of this.server.receive(data)) {
      if (a.type === 'reply') out.push(a.data);
      else if (a.type === 'command') {
        this.seen.push(a.command.text);
        out.push(encodeLine(a.command.text === 'cmd01' ? 'ack' : 'nak - unknown cmd'));
      } else if (a.type === 'disconnect' || a.type === 'shutdown') {
        this.serverClosed = a.type;
      }
    }
    if (out.length > 0) this.client.receive(Buffer.concat(out));
    if (this.serverClosed !== undefined) this.client.ended();
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
    expect(p.server.state).toBe('closed');
    expect(p.client.state).toBe('closed');
  });

  it('any pipelined burst gets one answer per command, in order', () => {
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
