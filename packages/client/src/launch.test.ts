import { expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { isOnelineError, type OnelineError } from '@socket-oneline/protocol';
import { launch, type LaunchedProgram } from './launch.js';
import { trackedPrograms } from './program.js';
import { freePort } from './test-support/ports.js';

const APP = join(__dirname, 'test-support', 'app.cjs');
const PARENT = join(__dirname, 'test-support', 'launch-parent.cjs');
const ORIGINAL = join(__dirname, 'test-support', 'original_server.py');
const READY = /^listening on .*:(\d+)$/;

const launched = new Set<LaunchedProgram>();
const others = new Set<ChildProcess>();
const pids = new Set<number>();

function app(args: string[] = [], options: Parameters<typeof launch>[2] = { ready: READY }): Promise<LaunchedProgram> {
  return launch(process.execPath, [APP, ...args], options).then((p) => {
    launched.add(p);
    pids.add(p.pid);
    return p;
  });
}

/** The launch's rejection (the test fails if it resolves). */
async function failure(p: Promise<LaunchedProgram>): Promise<OnelineError> {
  const r = await p.then(
    (ok) => {
      launched.add(ok);
      return undefined;
    },
    (err: unknown) => err as OnelineError,
  );
  if (r === undefined) throw new Error('launch() resolved; expected it to reject');
  if (r.program?.pid !== undefined) pids.add(r.program.pid);
  return r;
}

/** Gone: no such process, or a zombie (exited, waiting to be reaped). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Waits (bounded: 100 × 20 ms) until `pid` is gone; true if it went. */
async function goneSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (gone(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return gone(pid);
}

afterEach(async () => {
  await Promise.all([...launched].map((p) => p.stop({ stopGrace: 500, killGrace: 500 })));
  launched.clear();
  for (const c of others) c.kill('SIGKILL');
  others.clear();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  pids.clear();
});

describe('launch(): getting ready', () => {
  it('ready by RegExp: the port comes from the line the program prints (port 0), the client is connected [SRS-059]', async () => {
    const p = await app();
    expect(p.client.connected).toBe(true);
    expect('port' in p.address && p.address.port).toBeGreaterThan(0);
    expect((await p.client.request('cmd01'))[0]?.text).toBe('ack');
    expect(p.output().stdout).toMatch(/^listening on 127\.0\.0\.1:\d+\n$/);
    const exit = await p.stop();
    expect(exit).toEqual({ code: 0, signal: null, by: 'exit', clean: true });
    expect(gone(p.pid)).toBe(true);
  });

  it('named groups say where: (?<port>) and (?<host>) [SRS-059]', async () => {
    const p = await app([], { ready: /^listening on (?<host>[\d.]+):(?<port>\d+)$/ });
    expect(p.address).toEqual({ host: '127.0.0.1', port: expect.any(Number) });
    expect((await p.client.request('cmd01'))[0]?.text).toBe('ack');
  });

  it('ready by fixed port: connects with retries while the program is still starting (Python stand-in of the original) [SRS-059]', async () => {
    const port = await freePort();
    // The stand-in waits 0.4 s before it binds: the first connects are refused and retried.
    const retries: string[] = [];
    const logger = { debug: (_f: unknown, m: string) => retries.push(m), info: () => undefined, warn: () => undefined, error: () => undefined };
    const p = await launch('python3', [ORIGINAL, String(port), '0.4'], { port, client: { logger } });
    launched.add(p);
    pids.add(p.pid);
    expect(retries.filter((m) => m === 'connect failed; retrying').length).toBeGreaterThan(0);
    expect(p.address).toEqual({ host: '127.0.0.1', port });
    expect((await p.client.request('cmd01'))[0]?.text).toBe('ack');
    expect((await p.client.request('cmd02'))[0]?.text).toBe('nak - unknown cmd');
    const exit = await p.stop();
    expect(exit).toEqual({ code: 0, signal: null, by: 'exit', clean: true });
  });

  it('a program that exits with code 3 before it is ready rejects at once (not at the timeout), with the code and its last output [SRS-059]', async () => {
    // A 60 s timeout: only the exit can end this within the test's 20 s.
    const err = await failure(app(['--exit', '3'], { ready: READY, timeout: 60_000 }));
    expect(isOnelineError(err, 'ERR_ONELINE_LAUNCH_FAILED')).toBe(true);
    expect(err.message).toContain('exited with code 3 before it was ready');
    expect(err.message).toContain(APP);
    expect(err.message).toContain('fatal: no display available');
    expect(err.program).toMatchObject({ exitCode: 3, signal: null, stderr: 'starting up\nfatal: no display available\n' });
  });

  it('a program that never gets ready rejects at the timeout, and is gone by then [SRS-059]', async () => {
    // Long enough for the program to have started and printed (a loaded CI machine is slow to start node).
    const err = await failure(app(['--never-ready'], { ready: READY, timeout: 2500 }));
    expect(err.code).toBe('ERR_ONELINE_LAUNCH_FAILED');
    expect(err.message).toContain('was not ready within 2500 ms');
    expect(err.message).toContain('loading plugins...');
    expect(err.program?.signal).toBe('SIGTERM');
    expect(gone(err.program!.pid!)).toBe(true);
  });

  it('a program not ready in time that ignores SIGTERM is killed after killGrace, then the launch rejects [SRS-059]', async () => {
    const err = await failure(app(['--never-ready', '--ignore-term'], { ready: READY, timeout: 2500, killGrace: 300 }));
    expect(err.code).toBe('ERR_ONELINE_LAUNCH_FAILED');
    expect(err.program?.signal).toBe('SIGKILL');
    expect(gone(err.program!.pid!)).toBe(true);
  });

  it('a fixed port where another server already answers: rejects before starting anything, and the other server is untouched (review finding)', async () => {
    const other = net.createServer((sock) => {
      sock.on('data', (d) => sock.write(d.toString().includes('ping') ? 'pong\n' : 'ack OTHER\n'));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (other.address() as net.AddressInfo).port;
      const err = await failure(app(['--never-ready'], { port }));
      expect(err.code).toBe('ERR_ONELINE_LAUNCH_FAILED');
      expect(err.message).toContain(`something already listens at 127.0.0.1:${port}`);
      expect(err.program?.pid).toBeUndefined();
      expect(trackedPrograms()).toBe(0);
      expect(other.listening).toBe(true);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  it('a command that cannot be started rejects with the spawn error', async () => {
    const err = await failure(launch('/nonexistent/program-under-test', [], { port: 5000 }));
    expect(err.code).toBe('ERR_ONELINE_LAUNCH_FAILED');
    expect(err.message).toMatch(/could not be started: .*ENOENT/);
    expect(trackedPrograms()).toBe(0);
  });

  it('an AbortSignal stops the start: ERR_ONELINE_ABORTED, and the program is gone', async () => {
    const ac = new AbortController();
    const p = app(['--never-ready'], { ready: READY, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const err = await failure(p);
    expect(err.code).toBe('ERR_ONELINE_ABORTED');
    expect(gone(err.program!.pid!)).toBe(true);
  });

  it('a program that writes megabytes to stdout while starting does not stall, and its output is bounded [SRS-059]', async () => {
    const p = await app(['--flood', String(8 * 1024 * 1024)]);
    const { stdout } = p.output();
    expect(stdout.length).toBeLessThanOrEqual(65536);
    expect(stdout.endsWith('listening on 127.0.0.1:' + String((p.address as { port: number }).port) + '\n')).toBe(true);
    expect((await p.client.request('cmd01'))[0]?.text).toBe('ack');
  });

  it('bad options throw ERR_ONELINE_INVALID_OPTION and start nothing', async () => {
    const cases: [Parameters<typeof launch>[2], RegExp][] = [
      [{}, /give ready/],
      [{ ready: /listening/ }, /has no group/],
      [{ port: 1, path: '/x' }, /not both/],
      [{ port: 70000 }, /port must be/],
      [{ ready: READY, timeout: 0 }, /timeout must be/],
      [{ ready: READY, colour: true } as never, /unknown option 'colour'/],
    ];
    for (const [options, message] of cases) {
      await expect(launch(process.execPath, [APP], options)).rejects.toMatchObject({ code: 'ERR_ONELINE_INVALID_OPTION', message: expect.stringMatching(message) });
    }
    expect(trackedPrograms()).toBe(0);
  });

  it('after ready, a program writing megabytes to stdout is still drained: it answers, and the output kept is bounded [SRS-059]', async () => {
    const p = await app();
    expect((await p.client.request('spew', { timeout: 15_000 }))[0]?.text).toBe('done');
    expect(p.output().stdout.length).toBeLessThanOrEqual(65536);
  });
});

describe('launch(): stop()', () => {
  it('stop() twice: one promise, one exit; a third call after the exit resolves the same [SRS-059]', async () => {
    const p = await app();
    const a = p.stop();
    const b = p.stop();
    expect(b).toBe(a);
    expect(await a).toEqual({ code: 0, signal: null, by: 'exit', clean: true });
    expect(await p.stop()).toEqual(await a);
  });

  it('a program that ignores shutdown and SIGTERM is killed after the graces [SRS-059]', async () => {
    const p = await app(['--ignore-shutdown', '--ignore-term']);
    const exit = await p.stop({ stopGrace: 200, killGrace: 200 });
    expect(exit).toEqual({ code: null, signal: 'SIGKILL', by: 'SIGKILL', clean: false });
    expect(gone(p.pid)).toBe(true);
    expect(p.output().stderr).toContain('SIGTERM ignored');
  });

  it('stop() with a bad option rejects typed and stops nothing; the next stop() still stops it (review finding)', async () => {
    const p = await app();
    await expect(p.stop({ stopGrace: -1 })).rejects.toMatchObject({ code: 'ERR_ONELINE_INVALID_OPTION' });
    await expect(p.stop({ goodbye: 'bogus' as never })).rejects.toMatchObject({ code: 'ERR_ONELINE_INVALID_OPTION' });
    expect(gone(p.pid)).toBe(false);
    expect(await p.stop()).toEqual({ code: 0, signal: null, by: 'exit', clean: true });
  });

  it('a helper holding its pipes after it exited cleanly is killed by stop(), which then resolves (review finding)', async () => {
    const p = await app(['--spawn-helper']);
    const helper = Number(/helper (\d+)/.exec(p.output().stdout)![1]);
    pids.add(helper);
    expect(await p.stop()).toEqual({ code: 0, signal: null, by: 'exit', clean: true });
    expect(await goneSoon(helper)).toBe(true);
  });

  it('a program that stays up after shutdown gets SIGTERM after stopGrace', async () => {
    const p = await app(['--stay']);
    const exit = await p.stop({ stopGrace: 200 });
    expect(exit).toMatchObject({ signal: 'SIGTERM', by: 'SIGTERM', clean: false });
  });

  it('never throws because the program already left: it crashed (SIGKILL from outside) before stop()', async () => {
    const p = await app();
    process.kill(p.pid, 'SIGKILL');
    await p.exited;
    expect(await p.stop()).toEqual({ code: null, signal: 'SIGKILL', by: 'exit', clean: false });
  });

  it('after the test disconnected the client, stop() still shuts the program down over a new connection', async () => {
    const p = await app();
    await p.client.disconnect();
    expect(await p.stop()).toEqual({ code: 0, signal: null, by: 'exit', clean: true });
  });

  it('after the test sent shutdown itself, stop() waits for the exit', async () => {
    const p = await app();
    await p.client.shutdown();
    expect(await p.stop()).toEqual({ code: 0, signal: null, by: 'exit', clean: true });
  });

  it('goodbye: disconnect, for a program that should not be shut down over the socket (then SIGTERM)', async () => {
    const p = await app([], { ready: READY, goodbye: 'disconnect', stopGrace: 100 });
    expect(await p.stop()).toMatchObject({ by: 'SIGTERM', signal: 'SIGTERM' });
  });

  it('await using stops it at the end of the scope', async () => {
    let pid: number;
    {
      await using p = await launch(process.execPath, [APP], { ready: READY });
      pid = p.pid;
      pids.add(pid);
      expect((await p.client.request('cmd01'))[0]?.text).toBe('ack');
    }
    expect(gone(pid)).toBe(true);
  });

  it('helpers the program started in its process group are stopped with it, even if they ignore SIGTERM', async () => {
    const p = await app(['--spawn-helper', '--ignore-shutdown']);
    const helper = Number(/helper (\d+)/.exec(p.output().stdout)![1]);
    pids.add(helper);
    expect(gone(helper)).toBe(false);
    await p.stop({ stopGrace: 100 });
    expect(await goneSoon(helper)).toBe(true);
  });

  it('echo mirrors output lines with a prefix, or to a function', async () => {
    const seen: string[] = [];
    const p = await app([], { ready: READY, echo: (line, stream) => seen.push(`${stream}: ${line}`) });
    expect(seen).toEqual([expect.stringMatching(/^stdout: listening on 127\.0\.0\.1:\d+$/)]);
    await p.stop();
  });
});

describe('launch(): no orphans', () => {
  function parent(how: 'exit' | 'throw' | 'wait' | 'own-sigint'): Promise<{ parent: ChildProcess; child: number; out: () => string }> {
    const ch = spawn(process.execPath, [PARENT, how], { stdio: ['pipe', 'pipe', 'pipe'] });
    others.add(ch);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const t = setTimeout(() => reject(new Error(`no child pid within 10 s; stderr: ${err}`)), 10_000);
      ch.stderr.on('data', (d: Buffer) => (err += d.toString()));
      ch.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /child (\d+)\n/.exec(out);
        if (m) {
          clearTimeout(t);
          pids.add(Number(m[1]));
          resolve({ parent: ch, child: Number(m[1]), out: () => out });
        }
      });
    });
  }

  function exitOf(ch: ChildProcess): Promise<void> {
    return ch.exitCode !== null || ch.signalCode !== null ? Promise.resolve() : new Promise((r) => ch.once('exit', () => r()));
  }

  it.each(['exit', 'throw'] as const)('a parent that ends (%s) while a launched program runs: the program is gone afterwards, checked by pid [SRS-059]', async (how) => {
    const { parent: p, child } = await parent(how);
    expect(gone(child)).toBe(false);
    p.stdin!.write('go\n');
    await exitOf(p);
    expect(await goneSoon(child)).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('a parent stopped by %s: the program is gone, and the parent still dies of the signal [SRS-059]', async (sig) => {
    const { parent: p, child } = await parent('wait');
    p.kill(sig);
    await exitOf(p);
    expect(p.signalCode).toBe(sig);
    expect(await goneSoon(child)).toBe(true);
  });

  it('a parent with a SIGINT handler of its own decides: its handler stops the program gracefully (review finding)', async () => {
    const { parent: p, child, out } = await parent('own-sigint');
    p.kill('SIGINT');
    await exitOf(p);
    expect(p.exitCode).toBe(0);
    expect(out()).toContain('stopped {"code":0,"signal":null,"by":"exit","clean":true}');
    expect(await goneSoon(child)).toBe(true);
  });
});
