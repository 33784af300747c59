import { expect } from '@jest/globals';
import type { OnelineError } from '@socket-oneline/protocol';
import { makeCerts, type TestCerts } from '@socket-oneline/testkit/certs';
import { cleanup, connectRaw, connectRawTls, startServer, waitFor } from './test-support/harness.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
afterEach(cleanup);

describe('OnelineServer over TLS', () => {
  it('serves a TLS client that trusts the server certificate [SRS-035]', async () => {
    const server = await startServer({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    const c = await connectRawTls(server.port, { ca: certs.ca });
    c.send('ping\ncmd01\n');
    expect(await c.waitLines(2)).toEqual(['pong', 'ack']);
  });

  it('a client with the wrong CA refuses the server, and the server keeps serving good clients [SRS-035]', async () => {
    const errors: OnelineError[] = [];
    const server = await startServer({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    server.on('error', (e) => errors.push(e));
    await expect(connectRawTls(server.port, { ca: certs.otherCa })).rejects.toMatchObject({
      code: expect.stringMatching(/UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/),
    });
    expect(server.hasClient).toBe(false); // a failed handshake never takes the slot
    const good = await connectRawTls(server.port, { ca: certs.ca });
    good.send('ping\n');
    expect(await good.waitLines(1)).toEqual(['pong']);
  });

  it('mutual TLS: serves a client with a certificate from the trusted CA [SRS-035]', async () => {
    const server = await startServer({
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true },
    });
    const c = await connectRawTls(server.port, { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert });
    c.send('ping\n');
    expect(await c.waitLines(1)).toEqual(['pong']);
  });

  it('mutual TLS: refuses clients without a certificate or with a stranger one, then serves a good one [SRS-035]', async () => {
    const errors: OnelineError[] = [];
    const server = await startServer({
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true },
    });
    server.on('error', (e) => errors.push(e));
    for (const opts of [{}, { key: certs.strangerKey, cert: certs.strangerCert }]) {
      // TLS 1.3: the client may see the handshake complete, then the server's alert and close.
      const outcome = await connectRawTls(server.port, { ca: certs.ca, ...opts }).then(
        async (c) => {
          c.send('ping\n');
          await c.waitClosed(3000);
          return c.lines.length === 0 ? 'closed without data' : 'served';
        },
        () => 'handshake refused',
      );
      expect(outcome).not.toBe('served');
      await waitFor(() => !server.hasClient, 2000, 'slot to be freed');
    }
    await waitFor(() => errors.length >= 2, 2000, 'two TLS errors');
    expect(errors.every((e) => e.code === 'ERR_ONELINE_TLS' && /certificate/.test(e.message))).toBe(true);
    const good = await connectRawTls(server.port, { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert });
    good.send('ping\n');
    expect(await good.waitLines(1)).toEqual(['pong']);
  });

  it('plain TCP to a TLS port gets no command served, and the server keeps serving [SRS-036]', async () => {
    const commands: string[] = [];
    const server = await startServer({
      tls: { key: certs.serverKey, cert: certs.serverCert },
      handler: (cmd) => void commands.push(cmd.text),
    });
    server.on('error', () => undefined);
    const plain = await connectRaw(server.port);
    plain.send('ping\n');
    await plain.waitClosed(3000);
    expect(plain.lines).not.toContain('pong');
    await waitFor(() => !server.hasClient, 2000, 'slot to be freed');
    const good = await connectRawTls(server.port, { ca: certs.ca });
    good.send('ping\n');
    expect(await good.waitLines(1)).toEqual(['pong']);
    expect(commands).toEqual([]);
  });

  it('turns away a second TLS client while the first is served [SRS-007]', async () => {
    const server = await startServer({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    const first = await connectRawTls(server.port, { ca: certs.ca });
    first.send('ping\n');
    await first.waitLines(1);
    const second = await connectRawTls(server.port, { ca: certs.ca }).then(
      async (c) => {
        await c.waitClosed(3000);
        return c.lines;
      },
      () => [] as string[],
    );
    expect(second).toEqual([]);
    first.send('cmd01\n');
    expect(await first.waitLines(2)).toEqual(['pong', 'ack']);
  });
});
