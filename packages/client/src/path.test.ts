// The client on a socket path (issue 14): a Unix domain socket file in a temp
// dir, served by our server with `path`; the same behaviour as on TCP.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOnelineError } from '@socket-oneline/protocol';
import { makeCerts } from '@socket-oneline/testkit/certs';
import { mapSocketError } from './support.js';
import { cleanup, client, ourServer } from './test-support/harness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oneline-client-path-'));
});
afterEach(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

const unixOnly = process.platform === 'win32' ? describe.skip : describe;

unixOnly('OnelineClient on a Unix domain socket (path)', () => {
  it('connects with the ping handshake, then ping and commands work', async () => {
    const path = join(dir, 'control.sock');
    await ourServer({ path });
    const c = client({ path });
    await c.connect();
    expect(c.connected).toBe(true);
    expect(typeof (await c.ping())).toBe('number');
    expect((await c.request('cmd01')).map((l) => l.text)).toEqual(['ack']);
  });

  it('pipelines 500 requests; every answer comes back in order', async () => {
    const path = join(dir, 'control.sock');
    await ourServer({ path, handler: (cmd) => `echo ${cmd.text}` });
    const c = client({ path });
    await c.connect();
    const cmds = Array.from({ length: 500 }, (_, i) => `c${i}`);
    const answers = await Promise.all(cmds.map((cmd) => c.request(cmd)));
    expect(answers.map(([l]) => l!.text)).toEqual(cmds.map((cmd) => `echo ${cmd}`));
  });

  it('a second client gets ERR_ONELINE_BUSY; the first one keeps working', async () => {
    const path = join(dir, 'control.sock');
    await ourServer({ path });
    const first = client({ path });
    await first.connect();
    const second = client({ path });
    const err = await rejection(second.connect());
    expect(isOnelineError(err, 'ERR_ONELINE_BUSY')).toBe(true);
    expect((await first.request('cmd01'))[0]!.text).toBe('ack');
  });

  it('shutdown stops the server, which removes its socket file', async () => {
    const path = join(dir, 'control.sock');
    const server = await ourServer({ path });
    const c = client({ path });
    await c.connect();
    await c.shutdown();
    await server.closed;
    expect(server.running).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it('disconnect lets the next client in on the same path', async () => {
    const path = join(dir, 'control.sock');
    await ourServer({ path });
    const a = client({ path });
    await a.connect();
    await a.disconnect();
    const b = client({ path });
    await b.connect();
    expect((await b.request('cmd01'))[0]!.text).toBe('ack');
  });

  it('no socket file: ERR_ONELINE_REFUSED naming the path, and retryFor waits for the server to come up', async () => {
    const path = join(dir, 'later.sock');
    const err = await rejection(client({ path }).connect());
    expect(isOnelineError(err, 'ERR_ONELINE_REFUSED')).toBe(true);
    expect((err as Error).message).toContain(path);
    const c = client({ path, retryFor: 5000 });
    const connecting = c.connect();
    await new Promise((r) => setTimeout(r, 50));
    await ourServer({ path });
    await connecting;
    expect((await c.request('cmd01'))[0]!.text).toBe('ack');
  });

  it('a socket file we may not open (EACCES): ERR_ONELINE_SOCKET saying permission denied', () => {
    // Mapped directly: a test run as root opens any socket file, so the real EACCES cannot be provoked everywhere.
    const err = mapSocketError(Object.assign(new Error('connect EACCES /x.sock'), { code: 'EACCES' }), '/x.sock');
    expect(isOnelineError(err, 'ERR_ONELINE_SOCKET')).toBe(true);
    expect(err.message).toMatch(/^cannot connect to \/x\.sock: permission denied/);
  });

  it('TLS over a socket file', async () => {
    const certs = makeCerts();
    try {
      const path = join(dir, 'tls.sock');
      await ourServer({ path, tls: { key: certs.serverKey, cert: certs.serverCert } });
      const c = client({ path, tls: { ca: certs.ca, servername: 'localhost' } });
      await c.connect();
      expect((await c.request('cmd01'))[0]!.text).toBe('ack');
      await c.disconnect();
    } finally {
      certs.remove();
    }
  });
});
