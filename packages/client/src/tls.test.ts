import { expect } from '@jest/globals';
import { makeCerts, type TestCerts } from '@socket-oneline/testkit/certs';
import { cleanup, client, ourServer } from './test-support/harness.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.remove());
afterEach(cleanup);

describe('OnelineClient over TLS', () => {
  it('connects over TLS to a server whose certificate it trusts [SRS-035]', async () => {
    const server = await ourServer({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    const c = client({ port: server.port, tls: { ca: certs.ca } });
    await c.connect();
    expect((await c.request('cmd01'))[0]?.text).toBe('ack');
  });

  it('fails with ERR_ONELINE_TLS when the server certificate is not trusted [SRS-035]', async () => {
    const server = await ourServer({ tls: { key: certs.serverKey, cert: certs.serverCert } });
    const c = client({ port: server.port, tls: { ca: certs.otherCa } });
    await expect(c.connect()).rejects.toMatchObject({ code: 'ERR_ONELINE_TLS', message: expect.stringMatching(/certificate/) });
  });

  it('mutual TLS: connects with a client certificate from the trusted CA [SRS-035]', async () => {
    const server = await ourServer({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true } });
    server.on('error', () => undefined);
    const c = client({ port: server.port, tls: { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert } });
    await c.connect();
    expect(await c.ping()).toBeGreaterThanOrEqual(0);
  });

  it('mutual TLS: without a client certificate the connect fails fast with a typed error [SRS-035]', async () => {
    const server = await ourServer({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true } });
    server.on('error', () => undefined);
    const c = client({ port: server.port, tls: { ca: certs.ca }, connectTimeout: 3000 });
    const err = (await c.connect().catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe('ERR_ONELINE_TLS');
  });
});
