/**
 * The sample story (`npx nx run sample:doit`), the original's `./doit` told
 * better: start the sample server as its own process, drive it with two
 * clients, shut it down, and check every answer and the server's exit code.
 * Leaves no process behind, whatever happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { StoryClient, StoryError, type TranscriptEntry } from './sample-client.js';

/** Options of {@link runStory}. */
export interface StoryOptions {
  /** The sample server bin to start. @defaultValue this package's bin/oneline-sample-server.js */
  serverBin?: string;
  /** Where transcript and summary lines go. @defaultValue stdout */
  print?: (line: string) => void;
  /** Called after each step with the server's pid (tests use it to inject faults). */
  onStep?: (step: 'server-started' | 'client1-done' | 'client2-connected', serverPid: number) => void | Promise<void>;
  /** Bound on each wait for the server process (start, exit), ms. @defaultValue 5000 */
  waitMs?: number;
}

/** What {@link runStory} found. */
export interface StoryResult {
  ok: boolean;
  /** The summary, or what was expected and what came. */
  message: string;
  serverPid: number | undefined;
  transcript: TranscriptEntry[];
}

const BURST: readonly (readonly [string, string])[] = [
  ['cmd01', 'ack'],
  ['cmd02', 'nak - unknown cmd'],
  ['ping', 'pong'],
  ['cmd01', 'ack'],
  ['hello world', 'nak - unknown cmd'],
  ['cmd01', 'ack'],
  ['CMD01', 'nak - unknown cmd'],
  ['ping', 'pong'],
  ['héllo wörld', 'nak - unknown cmd'],
  ['cmd01', 'ack'],
];

function defaultServerBin(): string {
  // dist/doit.js -> ../bin; in tests (src/doit.ts) the same relative path holds.
  const here = typeof __dirname === 'string' ? __dirname : join(process.argv[1] ?? '.', '..', '..', 'dist');
  return join(here, '..', 'bin', 'oneline-sample-server.js');
}

function fmt(e: TranscriptEntry): string {
  const head = `${e.who.padEnd(8)} ${e.dir}  `;
  return e.rttMs === undefined ? `${head}${e.line}` : `${head}${e.line.padEnd(44)}${e.rttMs.toFixed(2).padStart(8)} ms`;
}

/** Resolves with the address a server bin prints (`listening on HOST:PORT`), within `ms`. */
export function waitForListening(child: ChildProcess, ms: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => done(new Error(`the server did not print 'listening on HOST:PORT' within ${ms} ms${err ? `; stderr: ${err.trim()}` : ''}`)), ms);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (.+):(\d+)\n/.exec(out);
      if (m) done(undefined, { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) });
    };
    const onErr = (d: Buffer) => (err += d.toString());
    const onExit = (code: number | null, sig: string | null) =>
      done(new Error(`the server exited before listening (code ${code}, signal ${sig})${err ? `; stderr: ${err.trim()}` : ''}`));
    const done = (e?: Error, v?: { host: string; port: number }) => {
      clearTimeout(t);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onErr);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve(v!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** Resolves with the child's exit, or undefined if it has not exited within `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: string | null } | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', onExit);
      resolve(undefined);
    }, ms);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(t);
      resolve({ code, signal });
    };
    child.once('exit', onExit);
  });
}

/** Stops the child if it still runs: SIGTERM, then SIGKILL after a bound. */
export async function reap(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if ((await waitForExit(child, ms)) === undefined) {
    child.kill('SIGKILL');
    await waitForExit(child, ms);
  }
}

/** Runs the story; never throws, never leaves the server process behind. */
export async function runStory(options: StoryOptions = {}): Promise<StoryResult> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const waitMs = options.waitMs ?? 5000;
  const transcript: TranscriptEntry[] = [];
  const record = (e: TranscriptEntry) => {
    transcript.push(e);
    print(fmt(e));
  };
  const t0 = performance.now();
  print('socket-oneline sample story: one server process, two clients, one at a time');
  print(`${'who'.padEnd(8)} dir ${'line'.padEnd(44)}      rtt`);
  const child = spawn(process.execPath, [options.serverBin ?? defaultServerBin(), '--port', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const clients: StoryClient[] = [];
  let checked = 0;
  try {
    const { host, port } = await waitForListening(child, waitMs);
    record({ who: 'server', dir: '**', line: `pid ${child.pid} listening on ${host}:${port}` });
    await options.onStep?.('server-started', child.pid!);

    const c1 = new StoryClient('client1', port, record, host);
    clients.push(c1);
    await c1.connect();
    await c1.expect('ping', 'pong');
    await c1.expect('cmd01', 'ack');
    await c1.expect('cmd99', 'nak - unknown cmd');
    await c1.disconnect();
    checked += c1.checked;
    await options.onStep?.('client1-done', child.pid!);

    const c2 = new StoryClient('client2', port, record, host);
    clients.push(c2);
    await c2.connect();
    await options.onStep?.('client2-connected', child.pid!);
    await c2.expect('cmd01', 'ack');
    await c2.burst(BURST);
    await c2.shutdown();
    checked += c2.checked;

    const exit = await waitForExit(child, waitMs);
    if (exit === undefined) throw new StoryError(`server: expected the process to exit after 'shutdown' within ${waitMs} ms, it is still running`);
    if (exit.code !== 0) throw new StoryError(`server: expected exit code 0 after 'shutdown', got ${exit.code ?? `signal ${exit.signal}`}`);
    record({ who: 'server', dir: '**', line: 'process exited with code 0' });
    const message = `OK: ${checked} answers checked (${BURST.length} pipelined), 2 clients served one at a time, server exited 0, ${(performance.now() - t0).toFixed(0)} ms in all`;
    print(message);
    return { ok: true, message, serverPid: child.pid, transcript };
  } catch (err) {
    let message = `FAIL: ${err instanceof Error ? err.message : String(err)}`;
    // A lost connection often means the server died: its exit event may trail
    // the socket's close by a moment, so give it a short, bounded wait.
    await waitForExit(child, 500);
    if (child.exitCode !== null || child.signalCode !== null) {
      message += ` (the server process had exited: ${child.exitCode !== null ? `code ${child.exitCode}` : `signal ${child.signalCode}`})`;
    }
    print(message);
    return { ok: false, message, serverPid: child.pid, transcript };
  } finally {
    for (const c of clients) c.destroy();
    await reap(child, 2000);
    process.off('exit', killOnExit);
  }
}

/** The doit command: exit code 0 only if the whole story went as expected. */
export async function main(): Promise<number> {
  const result = await runStory();
  return result.ok ? 0 : 1;
}
