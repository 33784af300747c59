// Constructor option checks and `await using` (issue 14).
import { isOnelineError } from '@socket-oneline/protocol';
import { OnelineClient, type OnelineClientOptions } from './client.js';
import { cleanup, client, closedPort, ourServer, rawOnelineServer } from './test-support/harness.js';

afterEach(cleanup);

/** The error the constructor throws for `options` (fails the test if it does not throw). */
function refused(options: unknown): Error {
  try {
    new OnelineClient(options as OnelineClientOptions);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('OnelineClient options are checked', () => {
  it.each([
    ['a misspelled key (pat for path)', { pat: '/tmp/x.sock' }, /unknown option 'pat'/],
    ['an unknown key next to a good port', { port: 5000, retries: 3 }, /unknown option 'retries'/],
    ['host of the wrong type', { port: 5000, host: 42 }, /'host' must be a string, got number/],
    ['port of the wrong type', { port: '5000' }, /'port' must be a number, got string/],
    ['path of the wrong type', { path: 7 }, /'path' must be a string, got number/],
    ['tls of the wrong type', { port: 5000, tls: 'yes' }, /'tls' must be a boolean or an object, got string/],
    ['a boolean that is not one', { port: 5000, stripCR: 'no' }, /'stripCR' must be a boolean, got string/],
    ['a logger that is not an object', { port: 5000, logger: 'console' }, /'logger' must be an object, got string/],
    ['path with port', { path: '/tmp/x.sock', port: 5000 }, /either path or host\/port/],
    ['path with host', { path: '/tmp/x.sock', host: 'localhost' }, /either path or host\/port/],
    ['an empty path', { path: '' }, /path must not be empty/],
    ['neither port nor path', {}, /a port .*or a path/],
    ['no options at all', undefined, /options must be an object/],
    ['a port out of range', { port: 70000 }, /port must be an integer 1\.\.65535/],
  ])('%s → ERR_ONELINE_INVALID_OPTION', (_what, options, message) => {
    const err = refused(options);
    expect(isOnelineError(err, 'ERR_ONELINE_INVALID_OPTION')).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('undefined values count as not given (spreading optional settings stays easy)', () => {
    expect(() => new OnelineClient({ port: 5000, host: undefined, timeout: undefined, tls: undefined })).not.toThrow();
    expect(() => new OnelineClient({ path: '/tmp/x.sock', host: undefined, port: undefined })).not.toThrow();
  });
});

describe('await using (Symbol.asyncDispose)', () => {
  it('disconnects gracefully at the end of the scope: the server sees a disconnect command', async () => {
    const server = await ourServer();
    const reasons: string[] = [];
    server.on('disconnect', (_c, reason) => reasons.push(reason));
    let inside: OnelineClient | undefined;
    {
      await using c = new OnelineClient({ port: server.port });
      inside = c;
      await c.connect();
      expect((await c.request('cmd01'))[0]!.text).toBe('ack');
    }
    expect(inside.connected).toBe(false);
    expect(await inside.closed).toBeUndefined();
    expect(reasons).toEqual(['disconnect']);
  });

  it('never connected: disposing does nothing and does not throw', async () => {
    const c = new OnelineClient({ port: await closedPort() });
    await expect(c[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it('after the server closed the connection: does not throw', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    await server.close();
    await c.closed;
    await expect(c[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });

  it('while a connect is in progress: destroys it (the connect rejects), does not throw', async () => {
    const server = await ourServer();
    const holder = client({ port: server.port });
    await holder.connect();
    // The server is busy: this client keeps retrying until disposed.
    const c = client({ port: server.port, retryFor: 10_000 });
    const connecting = c.connect().then(
      () => 'connected',
      (err: Error) => err,
    );
    await new Promise((r) => setTimeout(r, 30));
    await expect(c[Symbol.asyncDispose]()).resolves.toBeUndefined();
    const outcome = await connecting;
    expect(isOnelineError(outcome, 'ERR_ONELINE_ABORTED')).toBe(true);
    expect(c.connected).toBe(false);
  });

  it('when the server does not close in time: destroys the socket, does not throw', async () => {
    // Answers the handshake, then ignores every command, `disconnect` included.
    const port = await rawOnelineServer(() => undefined);
    const c = client({ port, timeout: 100 });
    await c.connect();
    await expect(c[Symbol.asyncDispose]()).resolves.toBeUndefined();
    expect(c.connected).toBe(false);
    expect(await c.closed).toBeUndefined();
  });

  it('twice at once (the second finds a disconnect in progress): both resolve', async () => {
    const server = await ourServer();
    const c = client({ port: server.port });
    await c.connect();
    await expect(Promise.all([c[Symbol.asyncDispose](), c[Symbol.asyncDispose]()])).resolves.toEqual([undefined, undefined]);
    expect(c.connected).toBe(false);
  });
});
