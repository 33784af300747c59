'use strict';
// Generates a throwaway CA, a server certificate for 127.0.0.1/localhost and
// client certificates with openssl, into a temporary folder that `remove()`
// deletes. Shared by the server's and the client's TLS tests.
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir, name) {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

function makeLeaf(dir, name, ca, ext) {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

/** @returns {import('./certs.d.cts').TestCerts} */
function makeCerts() {
  const dir = mkdtempSync(join(tmpdir(), 'oneline-certs-'));
  try {
    makeCa(dir, 'ca');
    makeCa(dir, 'otherca');
    makeLeaf(dir, 'server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    makeLeaf(dir, 'client', 'ca', 'extendedKeyUsage=clientAuth\n');
    makeLeaf(dir, 'stranger', 'otherca', 'extendedKeyUsage=clientAuth\n');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const r = (f) => readFileSync(join(dir, f));
  return {
    dir,
    ca: r('ca.crt'),
    serverKey: r('server.key'),
    serverCert: r('server.crt'),
    clientKey: r('client.key'),
    clientCert: r('client.crt'),
    strangerKey: r('stranger.key'),
    strangerCert: r('stranger.crt'),
    otherCa: r('otherca.crt'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

module.exports = { makeCerts };
