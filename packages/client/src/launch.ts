/**
 * `launch()`: start the program under test, connect when its server is up, keep the tail of its
 * output, and never leave it running.
 *
 * Theory of operation. The program's stdout and stderr are always piped and always read (a full
 * pipe would block it), into bounded tails; until it is ready each line is matched against
 * `ready`. Readiness is that match (its group says where to connect) or, with a fixed `port` /
 * `path`, a connect retried until the `ping` handshake answers. One deadline bounds the whole
 * start. Any way the start can end badly (spawn error, exit, deadline, abort, a failed connect)
 * goes through one path: stop the program, wait until it is gone, then reject with
 * `ERR_ONELINE_LAUNCH_FAILED`, so a caller never holds a rejection while the program still runs.
 * `stop()` says goodbye over the connection, then escalates SIGTERM → SIGKILL on deadlines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { basename } from 'node:path';
import { LineDecoder, OnelineError, type LaunchFailure } from '@socket-oneline/protocol';
import { OnelineClient } from './client.js';
import type { OnelineClientOptions } from './options.js';
import { checkMs } from './support.js';
import { OutputTail, signalProgram, trackProgram } from './program.js';

/** Options of {@link launch}. Give `ready`, `port` or `path` (or `ready` with `port`/`path`). */
export interface LaunchOptions {
  /**
   * Ready when a line of the program's stdout or stderr matches. The match says where to
   * connect: the named group `port` or `path` (and `host`), else the first group, a port if it
   * is all digits, else a socket path. With no group, give `port` or `path`.
   * @defaultValue none (then `port` or `path` is required)
   */
  ready?: RegExp;
  /** A fixed TCP port: connect, retrying until the handshake answers or `timeout`. @defaultValue none */
  port?: number;
  /** A fixed Unix socket file or named pipe, as `port`. @defaultValue none */
  path?: string;
  /** The host to connect to (TCP). @defaultValue `'127.0.0.1'` */
  host?: string;
  /** Bound in ms on the whole start: spawn, readiness and the connect. @defaultValue 10000 */
  timeout?: number;
  /** Cancels the start (the program is stopped; rejects with `ERR_ONELINE_ABORTED`). @defaultValue none */
  signal?: AbortSignal;
  /** Options of the connected {@link OnelineClient} (not its address). @defaultValue the client's defaults */
  client?: Omit<OnelineClientOptions, 'port' | 'path' | 'host'>;
  /** Working directory of the program. @defaultValue this process's */
  cwd?: string;
  /** Environment of the program. @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
  /** The program's stdin: `'ignore'`, `'pipe'` (write to `process.stdin`) or `'inherit'`. @defaultValue `'ignore'` */
  stdin?: 'ignore' | 'pipe' | 'inherit';
  /**
   * Mirror the program's output lines on this process's stderr: `true` prefixes them with
   * `[name] `, a string is the prefix, a function gets each line. @defaultValue false
   */
  echo?: boolean | string | ((line: string, stream: 'stdout' | 'stderr') => void);
  /** Bytes of each of stdout and stderr kept for {@link LaunchedProgram.output}. @defaultValue 65536 */
  maxOutputBytes?: number;
  /** What {@link LaunchedProgram.stop} sends first. @defaultValue `'shutdown'` */
  goodbye?: 'shutdown' | 'disconnect';
  /** ms `stop()` waits for the program to exit after the goodbye, before SIGTERM. @defaultValue 5000 */
  stopGrace?: number;
  /** ms after SIGTERM before SIGKILL (in `stop()` and a failed start). @defaultValue 2000 */
  killGrace?: number;
  /**
   * Run the program in its own process group and signal the group, so what it starts (a shell
   * script's children) stops with it. POSIX only. @defaultValue true (false on Windows)
   */
  processGroup?: boolean;
}

/** How the program ended. */
export interface ProgramExit {
  /** Exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
  /** `'exit'`: it exited by itself (after the goodbye, or before `stop()`); else the signal `stop()` had to send. */
  by: 'exit' | 'SIGTERM' | 'SIGKILL';
  /** It exited by itself with code 0. */
  clean: boolean;
}

/** Options of {@link LaunchedProgram.stop}; each defaults to the launch option of that name. */
export interface StopOptions {
  /** `'shutdown'` or `'disconnect'`. @defaultValue the launch's `goodbye` */
  goodbye?: 'shutdown' | 'disconnect';
  /** ms to wait for the exit after the goodbye, before SIGTERM. @defaultValue the launch's `stopGrace` */
  stopGrace?: number;
  /** ms after SIGTERM before SIGKILL. @defaultValue the launch's `killGrace` */
  killGrace?: number;
}

const KNOWN = new Set([
  'ready', 'port', 'path', 'host', 'timeout', 'signal', 'client', 'cwd', 'env', 'stdin', 'echo',
  'maxOutputBytes', 'goodbye', 'stopGrace', 'killGrace', 'processGroup',
]);
const MESSAGE_TAIL = 2048;
// Longest output line matched against `ready` or echoed whole; longer lines are cut (bounded memory).
const MAX_MATCH_LINE = 64 * 1024;

function invalid(message: string): OnelineError {
  return new OnelineError('ERR_ONELINE_INVALID_OPTION', `launch(): ${message}`);
}

function ms(name: string, v: number | undefined, dflt: number, min = 0): number {
  const n = checkMs(`launch(): ${name}`, v ?? dflt);
  if (n < min) throw invalid(`${name} must be at least ${min} ms, got ${n}`);
  return n;
}

function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`).exec('')!.length - 1;
}

function lastBytes(text: string, max: number): string {
  if (text.length <= max) return text;
  return `...${text.slice(text.length - max)}`;
}

/** A running program started by {@link launch}. */
export class LaunchedProgram {
  /** The connection to the program's server (connected when `launch()` resolves). */
  readonly client: OnelineClient;
  /** The program's process. */
  readonly process: ChildProcess;
  /** Where the client connects: `{ host, port }` or `{ path }`. */
  readonly address: { host: string; port: number } | { path: string };
  /** ms from spawn until ready, and for the connect and handshake. */
  readonly timings: { ready: number; connect: number };
  /** Resolves once the program has exited (its code or signal); never rejects. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #run: Run;
  #stopping: Promise<ProgramExit> | undefined;

  /** @internal Made by {@link launch}. */
  constructor(run: Run, client: OnelineClient, address: LaunchedProgram['address'], timings: LaunchedProgram['timings']) {
    this.#run = run;
    this.client = client;
    this.process = run.child;
    this.address = address;
    this.timings = timings;
    this.exited = run.exited;
  }

  /** The program's process id. */
  get pid(): number {
    return this.process.pid!;
  }

  /** The last bytes of its stdout and stderr (each at most `maxOutputBytes`), decoded as UTF-8. */
  output(): { stdout: string; stderr: string } {
    return this.#run.output();
  }

  /**
   * Stops the program: sends `shutdown` (or `disconnect`) over the connection (over a new one if
   * the client is no longer connected and the goodbye is `shutdown`), waits up to `stopGrace` for
   * it to exit, then SIGTERM, then SIGKILL after `killGrace`. Idempotent (every call gets the same
   * promise). Never rejects because of the program; one that already exited resolves at once.
   * @returns how it ended.
   * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` (as a rejection) for a bad option; nothing is
   *   stopped and the call is not remembered.
   */
  stop(options: StopOptions = {}): Promise<ProgramExit> {
    if (this.#stopping !== undefined) return this.#stopping;
    let resolved: Required<StopOptions>;
    try {
      resolved = this.#stopOptions(options);
    } catch (err) {
      // A bad option stops nothing and is not remembered: the next stop() (or dispose) still works.
      return Promise.reject(err);
    }
    this.#stopping = this.#stop(resolved);
    return this.#stopping;
  }

  #stopOptions(options: StopOptions): Required<StopOptions> {
    const o = this.#run.options;
    if (typeof options !== 'object' || options === null) throw invalid('stop(): options must be an object');
    const goodbye = options.goodbye ?? o.goodbye;
    if (goodbye !== 'shutdown' && goodbye !== 'disconnect') throw invalid(`stop(): goodbye must be 'shutdown' or 'disconnect', got ${String(goodbye)}`);
    return { goodbye, stopGrace: ms('stopGrace', options.stopGrace, o.stopGrace), killGrace: ms('killGrace', options.killGrace, o.killGrace) };
  }

  /** For `await using`: {@link stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop({ goodbye, stopGrace: grace, killGrace }: Required<StopOptions>): Promise<ProgramExit> {
    const run = this.#run;
    let by: ProgramExit['by'] = 'exit';
    if (!run.hasExited()) {
      const until = Date.now() + grace;
      await this.#sayGoodbye(goodbye, grace);
      if (!(await run.waitExit(until - Date.now()))) by = await run.terminate(killGrace);
    }
    // It left by itself: helpers it started in its group (holding its pipes) must not outlive it.
    if (run.options.processGroup) signalProgram(run.child, 'SIGKILL', true);
    this.client.destroy();
    await this.client.closed;
    const exit = await run.exited;
    await run.waitClosed(killGrace);
    return { ...exit, by, clean: by === 'exit' && exit.code === 0 };
  }

  async #sayGoodbye(goodbye: 'shutdown' | 'disconnect', grace: number): Promise<void> {
    const wait = { timeout: Math.max(1, grace) };
    const settled = this.#run.exited.then(() => undefined);
    if (this.client.connected) {
      await Promise.race([this.client[goodbye](wait).catch(() => undefined), settled]);
      return;
    }
    if (goodbye !== 'shutdown') return;
    // Our client left (the test disconnected it): ask over a new connection, if the program
    // still takes one. Refused or busy means it is on its way out or serving someone else.
    const again = new OnelineClient({ ...this.#run.options.client, ...this.address, retryFor: 0, connectTimeout: Math.max(1, Math.min(grace, 1000)) });
    try {
      await Promise.race([again.connect(wait).then(() => again.shutdown(wait)), settled]);
    } catch {
      // Nothing to report: the exit (or the signals after it) tells how it ended.
    } finally {
      again.destroy();
    }
  }
}

type Resolved = Required<Pick<LaunchOptions, 'host' | 'timeout' | 'maxOutputBytes' | 'goodbye' | 'stopGrace' | 'killGrace' | 'processGroup' | 'stdin'>> &
  Pick<LaunchOptions, 'ready' | 'port' | 'path' | 'signal' | 'client' | 'cwd' | 'env' | 'echo'>;

function resolveOptions(options: LaunchOptions): Resolved {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw invalid(`unknown option '${key}' (known: ${[...KNOWN].join(', ')})`);
  const { ready, port, path } = options;
  if (ready !== undefined && !(ready instanceof RegExp)) throw invalid('ready must be a RegExp');
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw invalid(`port must be 1..65535, got ${String(port)}`);
  if (path !== undefined && (typeof path !== 'string' || path === '')) throw invalid('path must be a non-empty string');
  if (port !== undefined && path !== undefined) throw invalid('give port or path, not both');
  if (ready === undefined && port === undefined && path === undefined) {
    throw invalid('give ready (a RegExp matching the line that says where the server listens), or a fixed port or path');
  }
  if (ready !== undefined && groupCount(ready) === 0 && port === undefined && path === undefined) {
    throw invalid(`ready ${String(ready)} has no group to read the port or path from: add one, or give port or path`);
  }
  const stdin = options.stdin ?? 'ignore';
  if (!['ignore', 'pipe', 'inherit'].includes(stdin)) throw invalid(`stdin must be 'ignore', 'pipe' or 'inherit', got ${String(stdin)}`);
  const goodbye = options.goodbye ?? 'shutdown';
  if (goodbye !== 'shutdown' && goodbye !== 'disconnect') throw invalid(`goodbye must be 'shutdown' or 'disconnect', got ${String(goodbye)}`);
  const maxOutputBytes = options.maxOutputBytes ?? 65536;
  if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 1) throw invalid(`maxOutputBytes must be a positive integer, got ${String(maxOutputBytes)}`);
  const echo = options.echo;
  if (echo !== undefined && !['boolean', 'string', 'function'].includes(typeof echo)) throw invalid('echo must be a boolean, a prefix string or a function');
  return {
    ...options,
    // A RegExp with g or y keeps state between tests; match with a stateless copy.
    ready: ready === undefined ? undefined : new RegExp(ready.source, ready.flags.replace(/[gy]/g, '')),
    host: options.host ?? '127.0.0.1',
    timeout: ms('timeout', options.timeout, 10_000, 1),
    stopGrace: ms('stopGrace', options.stopGrace, 5000),
    killGrace: ms('killGrace', options.killGrace, 2000),
    processGroup: options.processGroup ?? process.platform !== 'win32',
    stdin,
    goodbye,
    maxOutputBytes,
  };
}

/** One run of the program: its process, output, exit and the signals sent to it. */
class Run {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly closed: Promise<void>;
  spawnError: Error | undefined;
  readonly #tails: { stdout: OutputTail; stderr: OutputTail };
  #onLine: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly commandLine: string,
    command: string,
    args: readonly string[],
    readonly options: Resolved,
    onLine: (line: string, stream: 'stdout' | 'stderr') => void,
  ) {
    this.#onLine = onLine;
    this.#tails = { stdout: new OutputTail(options.maxOutputBytes), stderr: new OutputTail(options.maxOutputBytes) };
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.stdin, 'pipe', 'pipe'],
      detached: options.processGroup,
      windowsHide: true,
    });
    trackProgram(this.child, options.processGroup);
    let exited!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
    this.exited = new Promise((r) => (exited = r));
    let closed!: () => void;
    this.closed = new Promise<void>((r) => (closed = r));
    this.child.once('exit', (code, signal) => {
      this.#exit = { code, signal };
      exited(this.#exit);
    });
    this.child.once('close', () => closed());
    this.child.once('error', (err) => {
      // Emitted when it could not be started (then no exit follows) or could not be signalled.
      if (this.child.pid !== undefined) return;
      this.spawnError = err;
      this.#exit = { code: null, signal: null };
      exited(this.#exit);
      closed();
    });
    this.#read('stdout');
    this.#read('stderr');
  }

  #read(stream: 'stdout' | 'stderr'): void {
    const tail = this.#tails[stream];
    const decoder = new LineDecoder({ maxLineLength: MAX_MATCH_LINE });
    const pipe = this.child[stream]!;
    pipe.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      if (this.#onLine === undefined) return;
      for (const ev of decoder.push(chunk)) {
        if (ev.type === 'line') this.#onLine?.(ev.text, stream);
        else if (ev.type === 'overflow') this.#onLine?.(`[a ${ev.length}-byte line, not shown]`, stream);
      }
    });
    pipe.once('end', () => {
      for (const ev of decoder.end()) if (ev.type === 'incomplete') this.#onLine?.(Buffer.from(ev.bytes).toString('utf8'), stream);
    });
  }

  /** Stops line decoding (after ready, without echo): from now on output only feeds the tails. */
  setOnLine(fn: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined): void {
    this.#onLine = fn;
  }

  hasExited(): boolean {
    return this.#exit !== undefined;
  }

  output(): { stdout: string; stderr: string } {
    return { stdout: this.#tails.stdout.text(), stderr: this.#tails.stderr.text() };
  }

  /** Resolves true once it has exited, false if it has not within `ms`. */
  waitExit(ms: number): Promise<boolean> {
    return this.#within(this.exited, ms);
  }

  /** Resolves once its stdio has closed, or after `ms` (a helper it started may hold the pipes). */
  async waitClosed(ms: number): Promise<void> {
    await this.#within(this.closed, ms);
  }

  #within(p: Promise<unknown>, ms: number): Promise<boolean> {
    if (this.#exit !== undefined && p === this.exited) return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      void p.then(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  /** SIGTERM, then SIGKILL after `killGrace`; resolves with the last signal sent, once it has exited. */
  async terminate(killGrace: number): Promise<'SIGTERM' | 'SIGKILL'> {
    const group = this.options.processGroup;
    signalProgram(this.child, 'SIGTERM', group);
    if (await this.waitExit(killGrace)) {
      // The leader left; helpers in its group that ignore SIGTERM must not outlive it.
      if (group) signalProgram(this.child, 'SIGKILL', group);
      return 'SIGTERM';
    }
    signalProgram(this.child, 'SIGKILL', group);
    await this.exited;
    return 'SIGKILL';
  }

  failure(what: string, cause?: unknown, code: 'ERR_ONELINE_LAUNCH_FAILED' | 'ERR_ONELINE_ABORTED' = 'ERR_ONELINE_LAUNCH_FAILED'): OnelineError {
    const { stdout, stderr } = this.output();
    const program: LaunchFailure = {
      command: this.commandLine,
      pid: this.child.pid,
      exitCode: this.#exit?.code ?? null,
      signal: this.#exit?.signal ?? null,
      stdout,
      stderr,
    };
    const shown = [
      stderr.trim() !== '' ? `stderr:\n${lastBytes(stderr.trimEnd(), MESSAGE_TAIL)}` : '',
      stdout.trim() !== '' ? `stdout:\n${lastBytes(stdout.trimEnd(), MESSAGE_TAIL)}` : '',
    ].filter((s) => s !== '');
    const message = `launch: '${this.commandLine}' ${what}${shown.length > 0 ? `; its last output:\n${shown.join('\n')}` : '; it printed nothing'}`;
    return new OnelineError(code, message, { cause, program });
  }
}

function exitText(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

function echoer(command: string, echo: LaunchOptions['echo']): ((line: string, stream: 'stdout' | 'stderr') => void) | undefined {
  if (echo === undefined || echo === false) return undefined;
  if (typeof echo === 'function') return echo;
  const prefix = echo === true ? `[${basename(command)}] ` : echo;
  return (line) => process.stderr.write(`${prefix}${line}\n`);
}

function whereFrom(m: RegExpExecArray, o: Resolved): LaunchedProgram['address'] {
  const g = m.groups ?? {};
  if (g.path !== undefined) return { path: g.path };
  const host = g.host?.replace(/^\[|\]$/g, '') ?? o.host;
  if (g.port !== undefined) return { host, port: Number(g.port) };
  const first = m[1];
  if (first === undefined) return o.path !== undefined ? { path: o.path } : { host, port: o.port! };
  return /^\d+$/.test(first) ? { host, port: Number(first) } : { path: first };
}

/**
 * Starts `command` with `args` (no shell), waits until its oneline server is ready, and connects.
 *
 * @example
 * ```ts
 * await using app = await launch('python3', ['app.py', '--port', '0'], { ready: /listening on .*:(\d+)/ });
 * const [answer] = await app.client.request('cmd01');
 * ```
 * @throws OnelineError `ERR_ONELINE_LAUNCH_FAILED` when the program cannot be started, exits, or
 *   is not ready and connected within `timeout` (it is stopped first: SIGTERM, then SIGKILL after
 *   `killGrace`); `ERR_ONELINE_ABORTED` for `signal` (also after stopping it);
 *   `ERR_ONELINE_INVALID_OPTION` for bad options (nothing is started).
 */
export async function launch(command: string, args: readonly string[] = [], options: LaunchOptions = {}): Promise<LaunchedProgram> {
  if (typeof command !== 'string' || command === '') throw invalid('command must be a non-empty string');
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw invalid('args must be an array of strings');
  const o = resolveOptions(options);
  if (o.signal?.aborted) throw new OnelineError('ERR_ONELINE_ABORTED', 'launch(): aborted before it started', { cause: o.signal.reason });
  const commandLine = [command, ...args].join(' ');
  const echo = echoer(command, o.echo);
  const t0 = performance.now();
  // A fixed address that already answers belongs to someone else (a server left from an earlier
  // run): connecting there would drive, and stop() would shut down, the wrong program.
  const fixed = o.port !== undefined ? { host: o.host, port: o.port } : o.path !== undefined ? { path: o.path } : undefined;
  if (fixed !== undefined && (await listening(fixed, Math.min(1000, o.timeout)))) {
    const program: LaunchFailure = { command: commandLine, pid: undefined, exitCode: null, signal: null, stdout: '', stderr: '' };
    throw new OnelineError(
      'ERR_ONELINE_LAUNCH_FAILED',
      `launch: '${commandLine}' was not started: something already listens at ${describe(fixed)} (a server left from an earlier run?), and launch() would connect to it instead`,
      { program },
    );
  }
  // The first failure wins (an exit, the deadline, an abort, a failed connect) and ends the start.
  let failure: (() => OnelineError) | undefined;
  let failed!: () => void;
  const failedP = new Promise<undefined>((r) => (failed = () => r(undefined)));
  const connectAbort = new AbortController();
  const fail = (f: () => OnelineError) => {
    if (failure !== undefined) return;
    failure = f;
    failed();
    connectAbort.abort();
  };
  let ready!: (a: LaunchedProgram['address']) => void;
  const readyP = new Promise<LaunchedProgram['address']>((r) => (ready = r));
  const onLine = (line: string, stream: 'stdout' | 'stderr') => {
    echo?.(line, stream);
    const m = o.ready?.exec(line);
    if (m) ready(whereFrom(m, o));
  };
  let run: Run;
  try {
    run = new Run(commandLine, command, args, o, onLine);
  } catch (err) {
    // spawn() throws at once only for arguments it cannot use (e.g. a bad env value).
    throw invalid(`cannot start '${commandLine}': ${(err as Error).message}`);
  }
  if (o.ready === undefined) ready(o.path !== undefined ? { path: o.path } : { host: o.host, port: o.port! });
  const deadline = setTimeout(() => fail(() => run.failure(`was not ready within ${o.timeout} ms (timeout); it was stopped`)), o.timeout);
  const onAbort = () => fail(() => run.failure('was aborted while starting (signal); it was stopped', o.signal!.reason, 'ERR_ONELINE_ABORTED'));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  void run.exited.then((exit) =>
    fail(() => (run.spawnError !== undefined ? run.failure(`could not be started: ${run.spawnError.message}`, run.spawnError) : run.failure(`${exitText(exit)} before it was ready`))),
  );
  let client: OnelineClient | undefined;
  try {
    const address = await Promise.race([readyP, failedP]);
    if (address !== undefined && failure === undefined) {
      const readyAt = performance.now();
      run.setOnLine(echo);
      try {
        client = new OnelineClient({ ...o.client, ...address });
      } catch (err) {
        fail(() => run.failure(`got ready, but the client options are bad: ${(err as Error).message}`, err));
      }
      if (client !== undefined) {
        // A server may print its address a moment before it listens: retry up to the deadline.
        const left = Math.max(1, o.timeout - (performance.now() - t0));
        // One attempt may take what is left (a slow handshake is not a refusal), unless the caller set connectTimeout.
        const err = await client.connect({ retryFor: left, timeout: o.client?.connectTimeout ?? left, signal: connectAbort.signal }).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (err === undefined && failure === undefined) {
          return new LaunchedProgram(run, client, address, { ready: readyAt - t0, connect: performance.now() - readyAt });
        }
        fail(() => run.failure(`got ready, but connecting to ${describe(address)} failed: ${(err as Error).message}`, err));
      }
    }
    client?.destroy();
    if (!run.hasExited()) await run.terminate(o.killGrace);
    await run.waitClosed(o.killGrace);
    throw failure!();
  } finally {
    clearTimeout(deadline);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** True when a connection to `address` is accepted within `ms` (refused, missing or silent: false). */
function listening(address: { host: string; port: number } | { path: string }, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(address);
    const done = (yes: boolean) => {
      clearTimeout(t);
      sock.destroy();
      resolve(yes);
    };
    const t = setTimeout(() => done(false), ms);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function describe(address: LaunchedProgram['address']): string {
  return 'path' in address ? address.path : `${address.host}:${address.port}`;
}
