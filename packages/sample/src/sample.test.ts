import { expect } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { OnelineClient } from '@socket-oneline/client';
import { runStory } from './doit.js';
import { createSampleServer, sampleAnswer } from './sample-server.js';

const SERVER_BIN = join(__dirname, '..', 'bin', 'oneline-sample-server.js');
const DOIT_BIN = join(__dirname, '..', 'bin', 'doit.js');
const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
  for (const f of cleanups.splice(0)) await f();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the sample server bin; resolves with the child, its first stdout line and a stderr getter. */
function startServerProcess(args: string[]): Promise<{ child: ChildProcess; first: string; stderr: () => string; stdout: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`no 'listening' line in 5 s; stderr: ${err}`)), 5000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(t);
        resolve({ child, first: out.slice(0, nl), stderr: () => err, stdout: () => out });
      }
    });
  });
}

function exitOf(child: ChildProcess, ms = 5000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`process did not exit in ${ms} ms`)), ms);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

describe('sample answers', () => {
  it('answers cmd01 with ack and anything else with the original nak line [SRS-053]', () => {
    expect(sampleAnswer({ text: 'cmd01', invalid: false })).toBe('ack');
    expect(sampleAnswer({ text: 'cmd02', invalid: false })).toBe('nak - unknown cmd');
    expect(sampleAnswer({ text: '', invalid: true })).toBe('nak - unknown cmd');
  });

  it('the in-process sample server logs each command it answers', async () => {
    const logged: string[] = [];
    const server = createSampleServer({ log: (l) => logged.push(l) });
    cleanups.push(() => server.close());
    const { port } = await server.listen();
    const c = new OnelineClient({ port });
    await c.connect();
    expect((await c.request('cmd01'))[0]?.text).toBe('ack');
    await c.disconnect();
    expect(logged).toEqual(['server: <- "cmd01" -> ack']);
  });
});

describe('oneline-sample-server process', () => {
  it('prints exactly one line `listening on HOST:PORT`, logs commands on stderr, and exits 0 after shutdown [SRS-053]', async () => {
    const { child, first, stderr, stdout } = await startServerProcess(['--port', '0']);
    const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(first);
    expect(m).not.toBeNull();
    const c = new OnelineClient({ port: Number(m![1]) });
    await c.connect();
    expect((await c.request('cmd01'))[0]?.text).toBe('ack');
    await c.shutdown();
    expect(await exitOf(child)).toBe(0);
    expect(stdout()).toBe(`${first}\n`);
    expect(stderr()).toContain('server: <- "cmd01" -> ack');
  });

  it('--quiet logs nothing', async () => {
    const { child, first, stderr } = await startServerProcess(['--port', '0', '--quiet']);
    const port = Number(first.split(':').pop());
    const c = new OnelineClient({ port });
    await c.connect();
    await c.request('cmd01');
    await c.shutdown();
    expect(await exitOf(child)).toBe(0);
    expect(stderr()).toBe('');
  });

  it('--idle-timeout drops a silent client, and the next client is served [SRS-040]', async () => {
    const { child, first } = await startServerProcess(['--port', '0', '--quiet', '--idle-timeout', '200']);
    const port = Number(first.split(':').pop());
    const idle = new OnelineClient({ port });
    await idle.connect();
    const closed = new Promise<void>((r) => idle.once('close', () => r()));
    await closed;
    const next = new OnelineClient({ port });
    await next.connect();
    expect((await next.request('cmd01'))[0]?.text).toBe('ack');
    await next.shutdown();
    expect(await exitOf(child)).toBe(0);
  });

  it('--path PATH: prints `listening on PATH`, serves over the socket file, removes it after shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneline-sample-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'sample.sock');
    const { child, first, stdout } = await startServerProcess(['--path', path, '--quiet']);
    expect(first).toBe(`listening on ${path}`);
    const c = new OnelineClient({ path });
    await c.connect();
    expect((await c.request('cmd01'))[0]?.text).toBe('ack');
    await c.shutdown();
    expect(await exitOf(child)).toBe(0);
    expect(stdout()).toBe(`${first}\n`);
    expect(existsSync(path)).toBe(false);
  });

  it('--path with --port is a usage error (exit 2)', async () => {
    const child = spawn(process.execPath, [SERVER_BIN, '--path', '/tmp/x.sock', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exitOf(child)).toBe(2);
    expect(err).toMatch(/--path or --host\/--port, not both/);
  });

  it('a bad limit value is a usage error (exit 2) with a clear message', async () => {
    const child = spawn(process.execPath, [SERVER_BIN, '--idle-timeout', 'soon'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exitOf(child)).toBe(2);
    expect(err).toMatch(/--idle-timeout must be a whole number >= 0, got 'soon'/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('stops gracefully on %s with exit code 0 and releases the port', async (sig) => {
    const { child, first } = await startServerProcess(['--port', '0', '--quiet']);
    const port = Number(first.split(':').pop());
    child.kill(sig);
    expect(await exitOf(child)).toBe(0);
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => probe.close(() => r()));
  });
});

describe('the doit story', () => {
  it('runs the whole story against a real server process and succeeds [SRS-053]', async () => {
    const lines: string[] = [];
    const result = await runStory({ print: (l) => lines.push(l) });
    expect(result.message).toMatch(/^OK: 14 answers checked/);
    expect(result.ok).toBe(true);
    expect(isAlive(result.serverPid!)).toBe(false);
    expect(lines.some((l) => /^client2 +<- +ack +\d+\.\d+ ms$/.test(l))).toBe(true);
  });

  it('fails with a clear message and leaves no process behind when the server is killed mid-story', async () => {
    const lines: string[] = [];
    const result = await runStory({
      print: (l) => lines.push(l),
      onStep: (step, pid) => {
        if (step === 'client2-connected') process.kill(pid, 'SIGKILL');
      },
    });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^FAIL: client2: sent 'cmd01', expected 'ack', got no answer: .*\(ERR_ONELINE_(CLOSED|SOCKET)\)/);
    expect(result.message).toContain('the server process had exited: signal SIGKILL');
    expect(lines.at(-1)).toBe(result.message);
    expect(isAlive(result.serverPid!)).toBe(false);
  });

  it('a server that cannot start fails the story with its exit code and its own error output (launch)', async () => {
    const lines: string[] = [];
    const result = await runStory({ print: (l) => lines.push(l), serverBin: join(__dirname, 'no-such-server.js') });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^FAIL: launch: '.*no-such-server\.js --port 0 --quiet' exited with code 1 before it was ready; its last output:\nstderr:\n/);
    expect(result.message).toContain('Cannot find module');
    expect(isAlive(result.serverPid!)).toBe(false);
  });

  it('the doit bin exits 0 and prints the transcript and summary [SRS-053]', async () => {
    const child = spawn(process.execPath, [DOIT_BIN], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect(await exitOf(child, 15000)).toBe(0);
    expect(out).toMatch(/^socket-oneline sample story/);
    expect(out).toMatch(/client1 +-> +ping/);
    expect(out).toMatch(/\nOK: .*server exited 0/);
  });
});

describe('the JSON sample device', () => {
  it('a Python client written like the original users\' (json.dumps / json.loads over a plain socket) drives it unchanged [SRS-054]', async () => {
    const { createDeviceServer } = await import('./device.js');
    const server = createDeviceServer();
    cleanups.push(() => server.close());
    const { port } = await server.listen();
    const out = await new Promise<string>((resolve, reject) => {
      execFile('python3', [join(__dirname, 'test-support', 'json_client.py'), String(port)], { timeout: 20_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    const r = JSON.parse(out) as Record<string, unknown>;
    expect(r.status).toEqual({ state: 'idle', clicks: 0, widgets: expect.any(Number) });
    expect(r.click).toEqual({ value: 'ack', hit: expect.any(String) });
    expect(r.typed).toEqual({ value: 'ack' });
    expect(r.screen_children).toBe(200);
    expect(r.screen_bytes).toBeGreaterThan(2_000_000);
    expect(r.unknown).toEqual({ error: { code: 'ERR_ONELINE_UNKNOWN_COMMAND', message: "unknown command 'no_such_command'" } });
    expect(r.bad).toMatchObject({ error: { code: 'ERR_ONELINE_BAD_PARAMS' } });
    expect(r.pipelined).toEqual(['idle', 'pong']);
  });

  it('the json story runs end to end and exits 0 [SRS-054]', async () => {
    const { runJsonStory } = await import('./json-story.js');
    const lines: string[] = [];
    const r = await runJsonStory({ print: (l) => lines.push(l) });
    expect(r.ok).toBe(true);
    expect(lines.some((l) => /a widget tree: \d+ widgets, \d\.\d MB as one line/.test(l))).toBe(true);
  });
});
