// Test harness for the client: our server, raw node:net servers scripted by
// the test, and the Python original-like server; all closed in afterEach.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { OnelineServer, type OnelineServerOptions } from '@socket-oneline/server';
import { OnelineClient, type OnelineClientOptions } from '../client.js';

const servers = new Set<OnelineServer>();
const rawServers = new Set<net.Server>();
const rawSockets = new Set<net.Socket>();
const clients = new Set<OnelineClient>();
const children = new Set<ChildProcess>();

export async function cleanup(): Promise<void> {
  for (const c of clients) c.destroy();
  clients.clear();
  for (const s of rawSockets) s.destroy();
  rawSockets.clear();
  for (const ch of children) ch.kill('SIGKILL');
  children.clear();
  await Promise.all([...servers].map((s) => s.close()));
  servers.clear();
  await Promise.all([...rawServers].map((s) => new Promise<void>((r) => s.close(() => r()))));
  rawServers.clear();
}

/** Our server with the sample's answers, on 127.0.0.1:0. */
export async function ourServer(options: Partial<OnelineServerOptions> = {}): Promise<OnelineServer & { port: number }> {
  const s = new OnelineServer({
    handler: (cmd) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd'),
    closeGrace: 500,
    ...options,
  });
  servers.add(s);
  await s.listen();
  return s as OnelineServer & { port: number };
}

/** A raw server: `onLine(line, socket)` is called per LF-terminated line. */
export async function rawServer(onLine: (line: string, socket: net.Socket) => void): Promise<number> {
  const srv = net.createServer((sock) => {
    rawSockets.add(sock);
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!sock.destroyed) onLine(line, sock);
      }
    });
  });
  rawServers.add(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return (srv.address() as net.AddressInfo).port;
}

/** A raw server that answers the handshake then runs `onCommand`. */
export function rawOnelineServer(onCommand: (line: string, socket: net.Socket) => void): Promise<number> {
  return rawServer((line, sock) => {
    if (line === 'ping') sock.write('pong\n');
    else onCommand(line, sock);
  });
}

/** Starts the Python original-like server; resolves with its port. */
export function pythonServer(): Promise<number> {
  return new Promise((resolve, reject) => {
    const ch = spawn('python3', [join(__dirname, 'original_server.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(ch);
    let out = '';
    const timer = setTimeout(() => reject(new Error('python server did not start in 10 s')), 10000);
    ch.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    ch.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Resolves when a child started by pythonServer() exits (bounded). */
export function childExits(ms: number): Promise<number | null> {
  const [ch] = [...children];
  if (ch === undefined) return Promise.reject(new Error('no child'));
  if (ch.exitCode !== null) return Promise.resolve(ch.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`child did not exit in ${ms} ms`)), ms);
    ch.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** A client that cleanup() destroys. */
export function client(options: OnelineClientOptions): OnelineClient {
  const c = new OnelineClient(options);
  clients.add(c);
  return c;
}

/** A free port with nothing listening (bound then closed). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
