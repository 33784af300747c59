/**
 * The sample story (`npx nx run sample:doit`), the original's `./doit` told
 * better: start the sample server as its own process, drive it with two
 * clients, shut it down, and check every answer and the server's exit code.
 * Leaves no process behind, whatever happens.
 */
import { join } from 'node:path';
import { isOnelineError, launch, type LaunchedProgram } from '@socket-oneline/client';
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

// The line the sample server bins print once they listen.
export const LISTENING = /^listening on (?:\[?(?<host>[^\]]+)\]?):(?<port>\d+)$/;

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
  let server: LaunchedProgram | undefined;
  const clients: StoryClient[] = [];
  let checked = 0;
  try {
    // launch() starts the server process, reads its address from its first line, and connects
    // client1; whatever happens below, stop() in `finally` leaves no process behind.
    server = await launch(process.execPath, [options.serverBin ?? defaultServerBin(), '--port', '0', '--quiet'], {
      ready: LISTENING,
      timeout: waitMs,
      client: { timeout: 3000, connectTimeout: 3000 },
    });
    const { host, port } = server.address as { host: string; port: number };
    record({ who: 'server', dir: '**', line: `pid ${server.pid} listening on ${host}:${port}` });
    await options.onStep?.('server-started', server.pid);

    const c1 = new StoryClient('client1', server.client, record);
    clients.push(c1);
    c1.connected(server.timings.connect);
    await c1.expect('ping', 'pong');
    await c1.expect('cmd01', 'ack');
    await c1.expect('cmd99', 'nak - unknown cmd');
    await c1.disconnect();
    checked += c1.checked;
    await options.onStep?.('client1-done', server.pid);

    const c2 = new StoryClient('client2', { host, port }, record);
    clients.push(c2);
    await c2.connect();
    await options.onStep?.('client2-connected', server.pid);
    await c2.expect('cmd01', 'ack');
    await c2.burst(BURST);
    await c2.shutdown();
    checked += c2.checked;

    const exit = await server.stop({ stopGrace: waitMs });
    if (exit.by !== 'exit') throw new StoryError(`server: expected the process to exit after 'shutdown' within ${waitMs} ms; it had to be stopped with ${exit.by}`);
    if (exit.code !== 0) throw new StoryError(`server: expected exit code 0 after 'shutdown', got ${exit.code ?? `signal ${exit.signal}`}`);
    record({ who: 'server', dir: '**', line: 'process exited with code 0' });
    const message = `OK: ${checked} answers checked (${BURST.length} pipelined), 2 clients served one at a time, server exited 0, ${(performance.now() - t0).toFixed(0)} ms in all`;
    print(message);
    return { ok: true, message, serverPid: server.pid, transcript };
  } catch (err) {
    let message = `FAIL: ${err instanceof Error ? err.message : String(err)}`;
    // A lost connection often means the server died: its exit event may trail
    // the socket's close by a moment, so give it a short, bounded wait.
    const exit = server === undefined ? undefined : await exitWithin(server, 500);
    if (exit !== undefined) {
      message += ` (the server process had exited: ${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`})`;
    }
    print(message);
    return { ok: false, message, serverPid: server?.pid ?? (isOnelineError(err) ? err.program?.pid : undefined), transcript };
  } finally {
    for (const c of clients) c.destroy();
    await server?.stop({ stopGrace: 2000, killGrace: 2000 });
  }
}

/** The server's exit if it comes within `ms`, else undefined. */
function exitWithin(server: LaunchedProgram, ms: number): Promise<{ code: number | null; signal: string | null } | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    void server.exited.then((exit) => {
      clearTimeout(t);
      resolve(exit);
    });
  });
}

/** The doit command: exit code 0 only if the whole story went as expected. */
export async function main(): Promise<number> {
  const result = await runStory();
  return result.ok ? 0 : 1;
}
