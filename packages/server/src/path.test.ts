import { expect } from '@jest/globals';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnelineServer } from './server.js';
import { cleanup, connectRaw, startServer, waitFor, withTimeout } from './test-support/harness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oneline-path-'));
});
afterEach(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const unixOnly = process.platform === 'win32' ? describe.skip : describe;

unixOnly('OnelineServer on a Unix domain socket (path)', () => {
  it('serves ping and commands over a socket file, reports the path, no TCP port [SRS-037]', async () => {
    const path = join(dir, 'control.sock');
    const server = await startServer({ path });
    expect(server.path).toBe(path);
    expect(server.port).toBeUndefined();
    expect(server.address).toEqual({ address: path, family: 'unix', port: 0 });
    const c = await connectRaw(path);
    c.send('ping\ncmd01\n');
    expect(await c.waitLines(2)).toEqual(['pong', 'ack']);
  });

  it('creates the socket file owner-only by default; `mode` widens it [SRS-037]', async () => {
    const a = join(dir, 'a.sock');
    const b = join(dir, 'b.sock');
    await startServer({ path: a });
    await startServer({ path: b, mode: 0o660 });
    expect(statSync(a).mode & 0o777).toBe(0o600);
    expect(statSync(b).mode & 0o777).toBe(0o660);
  });

  it('one client at a time: a second connection is turned away without data, the first keeps working [SRS-007]', async () => {
    const path = join(dir, 'control.sock');
    await startServer({ path });
    const first = await connectRaw(path);
    first.send('ping\n');
    await first.waitLines(1);
    const second = await connectRaw(path);
    await second.waitClosed(3000);
    expect(second.lines).toEqual([]);
    first.send('cmd01\n');
    expect(await first.waitLines(2)).toEqual(['pong', 'ack']);
  });

  it('shutdown stops the server and removes the socket file [SRS-037]', async () => {
    const path = join(dir, 'control.sock');
    const server = await startServer({ path });
    const c = await connectRaw(path);
    c.send('shutdown\n');
    await withTimeout(server.closed, 5000, 'shutdown');
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a path held by a live server with ERR_ONELINE_ADDRESS_IN_USE, and leaves it working [SRS-037]', async () => {
    const path = join(dir, 'control.sock');
    const live = await startServer({ path });
    const second = new OnelineServer({ handler: () => 'x', path });
    await expect(second.listen()).rejects.toMatchObject({ code: 'ERR_ONELINE_ADDRESS_IN_USE' });
    // The check connected once to see the server answer; that probe has left.
    await waitFor(() => !live.hasClient, 2000, 'the probe to leave');
    const c = await connectRaw(path);
    c.send('cmd01\n');
    expect(await c.waitLines(1)).toEqual(['ack']);
  });

  it('replaces a stale socket file left by a server that died [SRS-037]', async () => {
    const path = join(dir, 'control.sock');
    // A socket file whose server is gone: a process that listened there is killed (no cleanup).
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)})`], { stdio: 'ignore' });
    await waitFor(() => existsSync(path), 5000, 'the child to listen');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await withTimeout(exited, 5000, 'the child to die');
    expect(existsSync(path)).toBe(true);
    const server = await startServer({ path });
    expect(server.running).toBe(true);
    const c = await connectRaw(path);
    c.send('ping\n');
    expect(await c.waitLines(1)).toEqual(['pong']);
  });

  it('refuses a path that exists and is not a socket with ERR_ONELINE_LISTEN_FAILED, without touching it [SRS-037]', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'precious');
    const server = new OnelineServer({ handler: () => 'x', path });
    await expect(server.listen()).rejects.toMatchObject({ code: 'ERR_ONELINE_LISTEN_FAILED' });
    expect(statSync(path).isFile()).toBe(true);
  });
});

describe('OnelineServer options', () => {
  it.each([
    [{ pat: '/tmp/x' }, /unknown option 'pat'/],
    [{ host: 42 }, /option 'host' must be a string, got number/],
    [{ port: '80' }, /option 'port' must be a number, got string/],
    [{ stripCR: 'yes' }, /option 'stripCR' must be a boolean/],
    [{ path: '/tmp/x', port: 5 }, /either path or host\/port/],
    [{ mode: 0o1777 }, /mode must be a file mode/],
  ])('rejects %j with ERR_ONELINE_INVALID_OPTION [SRS-045]', (extra, message) => {
    expect(() => new OnelineServer({ handler: () => 'x', ...(extra as object) })).toThrow(
      expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION', message: expect.stringMatching(message) }),
    );
  });
});

describe('closing', () => {
  it('await using closes the server at the end of the scope [SRS-049]', async () => {
    let port = 0;
    {
      await using server = new OnelineServer({ handler: () => 'x' });
      ({ port } = await server.listen());
    }
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('close({ force: true }) does not wait for a handler or a client that reads nothing [SRS-049]', async () => {
    let signal: AbortSignal | undefined;
    const server = await startServer({
      closeGrace: 60_000,
      handler: (_c, _r, ctx) => {
        signal = ctx.signal;
        return new Promise<never>(() => undefined);
      },
    });
    const c = await connectRaw(server.port);
    c.send('hang\n');
    await waitFor(() => signal !== undefined, 2000, 'handler');
    await withTimeout(server.close({ force: true }), 2000, 'forced close');
    expect(signal?.aborted).toBe(true);
    await c.waitClosed(2000);
  });
});
