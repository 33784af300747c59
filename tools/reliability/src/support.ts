// Support for the reliability suite: our server in its own process (so its
// RSS, CPU time and file descriptors are its own), raw loopback clients, and
// bounded waits. Everything started here is stopped by cleanup().
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';

export interface ServerStats {
  handled: number;
  tooLong: number;
  undecodable: number;
  errors: number;
  lastText: string;
  rss: number;
  maxRss: number;
  cpu: { user: number; system: number };
  fds: number;
  hasClient: boolean;
  running: boolean;
}

export interface ServerProcess {
  port: number;
  pid: number;
  child: ChildProcess;
  stats(): Promise<ServerStats>;
  /** JS heap + external memory (Buffers) after a full GC, in bytes: where a leak shows. */
  heap(): Promise<number>;
  close(): Promise<void>;
  exited(ms: number): Promise<number | null>;
}

const children = new Set<ChildProcess>();
const sockets = new Set<net.Socket>();
const cleanups: (() => unknown)[] = [];

/** Registers extra cleanup work (servers, clients made by a test). */
export function onCleanup(f: () => unknown): void {
  cleanups.push(f);
}

export async function cleanup(): Promise<void> {
  for (const s of sockets) s.destroy();
  sockets.clear();
  // Last registered first: clients made after a server go before it.
  for (const f of cleanups.splice(0).reverse()) await f();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

/** Rejects if `p` does not settle within `ms` (a hang detector, not a speed claim). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `cond()` holds, checking every 5 ms, for at most `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Starts our server (built package) in its own process; `{ floor: true }` starts the bare node:net baseline instead. */
export function startServerProcess(options: Record<string, unknown> = {}): Promise<ServerProcess> {
  const child = fork(join(__dirname, 'server-process.mjs'), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--expose-gc'],
  });
  children.add(child);
  const request = <T>(msg: string, key: string): Promise<T> =>
    within(
      new Promise<T>((resolve) => {
        const on = (m: Record<string, unknown>) => {
          if (key in m) {
            child.off('message', on);
            resolve(m as T);
          }
        };
        child.on('message', on);
        child.send(msg);
      }),
      10000,
      `server process answer to ${msg}`,
    );
  return within(
    new Promise<ServerProcess>((resolve, reject) => {
      child.once('error', reject);
      child.once('message', (m: { port: number; pid: number }) =>
        resolve({
          port: m.port,
          pid: m.pid,
          child,
          stats: () => request<ServerStats>('stats', 'handled'),
          heap: async () => (await request<{ heap: number }>('heap', 'heap')).heap,
          close: async () => {
            await request('close', 'closed');
          },
          exited: (ms) =>
            child.exitCode !== null
              ? Promise.resolve(child.exitCode)
              : within(new Promise<number | null>((r) => child.once('exit', (code) => r(code))), ms, 'server process exit'),
        }),
      );
    }),
    10000,
    'server process start',
  );
}

/** A raw loopback client that collects lines. */
export class Raw {
  readonly lines: string[] = [];
  private rest = '';
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(readonly socket: net.Socket) {
    sockets.add(socket);
    socket.on('data', (d: Buffer) => {
      const parts = (this.rest + d.toString('latin1')).split('\n');
      this.rest = parts.pop()!;
      for (const p of parts) this.lines.push(p);
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  private changed(ms: number, what: string): Promise<void> {
    let w!: () => void;
    const p = new Promise<void>((r) => (w = r));
    this.waiters.add(w);
    return within(p, ms, what).finally(() => this.waiters.delete(w));
  }

  async waitLines(n: number, ms = 5000): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (this.lines.length < n) {
      if (this.closed) throw new Error(`closed after ${this.lines.length} of ${n} lines (last: ${JSON.stringify(this.lines.slice(-3))})`);
      await this.changed(Math.max(1, deadline - Date.now()), `${n} lines (have ${this.lines.length})`);
    }
    return this.lines.slice(0, n);
  }

  async waitClosed(ms = 5000): Promise<void> {
    while (!this.closed) await this.changed(ms, 'close');
  }
}

export function connect(port: number): Promise<Raw> {
  return within(
    new Promise<Raw>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port });
      sockets.add(s);
      s.once('connect', () => resolve(new Raw(s)));
      s.once('error', reject);
    }),
    5000,
    'connect',
  );
}

/** CPU time (ms) the server process uses over `ms` of wall time. */
export async function cpuOver(server: ServerProcess, ms: number): Promise<number> {
  const a = (await server.stats()).cpu;
  await sleep(ms);
  const b = (await server.stats()).cpu;
  return (b.user - a.user + b.system - a.system) / 1000;
}
