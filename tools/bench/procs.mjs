// Processes of a benchmark run: each server in its own process (Node, Python
// or Go, all with the same stdin/stdout control channel, see serve.mjs) and
// one load generator process driven over IPC.
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function which(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The servers this machine can run: name -> { label, argv } (or { skipped: why }).
 * Go is built once into a temp folder when a Go toolchain is installed.
 */
export function availableServers() {
  const node = process.execPath;
  const serve = join(here, 'serve.mjs');
  const servers = {
    ours: { label: 'socket-oneline', argv: [node, serve, 'ours'] },
    'ours-async': { label: 'socket-oneline, async handler', argv: [node, serve, 'ours-async'], only: 'async' },
    tight: { label: 'tight floor (node:net)', argv: [node, serve, 'tight'] },
    loose: { label: 'loose floor (node:net)', argv: [node, serve, 'loose'] },
    readline: { label: 'node:readline', argv: [node, serve, 'readline'] },
    split2: { label: 'split2', argv: [node, serve, 'split2'] },
  };
  servers.asyncio = which('python3')
    ? { label: 'Python asyncio', argv: ['python3', join(here, 'peers', 'asyncio_server.py')] }
    : { label: 'Python asyncio', skipped: 'python3 is not installed' };
  if (which('go')) {
    const dir = mkdtempSync(join(os.tmpdir(), 'oneline-bench-go-'));
    const bin = join(dir, 'onelinepeer');
    try {
      execFileSync('go', ['build', '-o', bin, '.'], { cwd: join(here, 'peers', 'go'), stdio: ['ignore', 'ignore', 'inherit'] });
      servers.go = { label: 'Go (bufio)', argv: [bin], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      servers.go = { label: 'Go (bufio)', skipped: `go build failed: ${err.message}` };
    }
  } else {
    servers.go = { label: 'Go (bufio)', skipped: 'no Go toolchain installed (`go` not on PATH)' };
  }
  return servers;
}

/** A running server process. */
export class ServerProc {
  /** `keep`: keep every other stdout line (e.g. V8 traces) in `this.other`. */
  constructor(name, argv, { keep = false } = {}) {
    this.name = name;
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    this.keep = keep;
    this.other = [];
    this.buf = '';
    this.waiters = [];
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d) => this.onOut(d));
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.port = this.next('port').then((v) => Number(v[0]));
    this.child.once('exit', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`server ${name} exited (${code}) while waiting for ${w.key}`));
    });
  }

  onOut(d) {
    this.buf += d;
    let i;
    while ((i = this.buf.indexOf('\n')) !== -1) {
      const line = this.buf.slice(0, i).trim();
      this.buf = this.buf.slice(i + 1);
      const [key, ...rest] = line.split(' ');
      const w = this.waiters.findIndex((x) => x.key === key);
      if (w !== -1) this.waiters.splice(w, 1)[0].resolve(rest);
      else if (this.keep) this.other.push(line);
    }
  }

  next(key) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server ${this.name}: no '${key}' within 30 s`)), 30_000);
      this.waiters.push({
        key,
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  /** CPU time (user + system) this server process has used, in µs. */
  async cpu() {
    const p = this.next('cpu');
    this.child.stdin.write('cpu\n');
    return Number((await p)[0]);
  }

  /** { rss, maxRss } in bytes (Node servers only). */
  async rss() {
    const p = this.next('rss');
    this.child.stdin.write('rss\n');
    const [rss, maxRss] = (await p).map(Number);
    return { rss, maxRss };
  }

  async stop() {
    this.child.stdin.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }
}

/** The load generator process (`script`: another job server with the same IPC protocol, e.g. json-load.mjs). */
export class Loadgen {
  constructor(script = join(here, 'loadgen.mjs'), { execArgv = [] } = {}) {
    this.child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    this.pending = new Map();
    this.id = 0;
    this.ready = new Promise((resolve) => {
      this.child.on('message', (m) => {
        if (m.ready) return resolve();
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(m.error));
      });
    });
    this.child.once('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`loadgen exited (${code})`));
      this.pending.clear();
    });
  }

  /** Runs one job; rejects after `timeoutMs`. */
  async run(job, timeoutMs = 120_000) {
    await this.ready;
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`loadgen ${job.kind} took over ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ ...job, id });
    });
  }

  stop() {
    this.child.disconnect();
    return new Promise((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once('exit', resolve)));
  }
}


/**
 * Runs one job in a fresh process: forks `script`, sends it `message` and
 * resolves with the `result` it reports over IPC (`{ ok, result | error }`);
 * kills it after `timeoutMs`.
 */
export function forkJob(script, message, what, timeoutMs = 180_000) {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} took over ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('message', (m) => {
      clearTimeout(timer);
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
    });
    child.once('exit', (code) => {
      if (code !== 0) {
        clearTimeout(timer);
        reject(new Error(`${what} exited ${code}`));
      }
    });
    child.send(message);
  });
}
