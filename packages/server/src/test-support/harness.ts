// Test harness: servers and raw loopback clients that are always cleaned up,
// and bounded waits (every wait has a deadline).
import net from 'node:net';
import tls from 'node:tls';
import { OnelineServer, type OnelineServerOptions } from '../server.js';

const servers = new Set<OnelineServer>();
const sockets = new Set<net.Socket>();

/** Creates a server on 127.0.0.1:0 (or on `options.path`), listening; closed in afterEach via cleanup(). */
export async function startServer(options: Partial<OnelineServerOptions> = {}): Promise<OnelineServer & { port: number }> {
  const server = new OnelineServer({
    handler: (cmd) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd'),
    closeGrace: 500,
    ...options,
  });
  servers.add(server);
  await server.listen();
  return server as OnelineServer & { port: number };
}

/** Closes every server and socket made by this harness. */
export async function cleanup(): Promise<void> {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all([...servers].map((s) => withTimeout(s.close(), 5000, 'server.close()')));
  servers.clear();
}

/** Rejects if `p` does not settle within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Waits until `cond()` is true, checking every 5 ms, for at most `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw line client over a plain or TLS socket, with bounded reads. */
export class RawClient {
  readonly lines: string[] = [];
  readonly raw: Buffer[] = [];
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closedFlag = false;
  error: Error | undefined;
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      this.buf = Buffer.concat([this.buf, chunk]);
      let i: number;
      while ((i = this.buf.indexOf(10)) !== -1) {
        this.lines.push(this.buf.subarray(0, i).toString('utf8'));
        this.buf = this.buf.subarray(i + 1);
      }
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      }),
    );
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async waitChange(deadline: number, what: string): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what}; got lines ${JSON.stringify(this.lines)}`);
    await withTimeout(new Promise<void>((r) => this.waiters.push(r)), left, `${what}; got lines ${JSON.stringify(this.lines)}`);
  }

  /** Resolves when at least `n` lines have arrived in total. */
  async waitLines(n: number, ms = 3000): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (this.lines.length < n) {
      if (this.closedFlag) throw new Error(`closed after ${this.lines.length} of ${n} lines: ${JSON.stringify(this.lines)}`);
      await this.waitChange(deadline, `${n} lines`);
    }
    return this.lines.slice(0, n);
  }

  /** Resolves when the socket has closed. */
  async waitClosed(ms = 3000): Promise<void> {
    await withTimeout(this.closed, ms, 'the connection to close');
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }
}

/** Connects a raw client to 127.0.0.1:port, or to a socket path. */
export function connectRaw(where: number | string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = typeof where === 'string' ? net.connect({ path: where }) : net.connect({ host: '127.0.0.1', port: where });
    sockets.add(s);
    s.once('connect', () => resolve(new RawClient(s)));
    s.once('error', reject);
  });
}

/** Connects a raw TLS client; rejects on a handshake failure. */
export function connectRawTls(port: number, options: tls.ConnectionOptions): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: undefined, ...options });
    sockets.add(s);
    s.once('secureConnect', () => resolve(new RawClient(s)));
    s.once('error', reject);
  });
}
