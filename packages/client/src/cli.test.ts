import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { EXIT, HELP, run } from './cli.js';
import { cleanup, client, closedPort, ourServer } from './test-support/harness.js';

afterEach(cleanup);

/** Runs the CLI in-process with captured streams. */
async function cli(argv: string[], stdin?: string, tty = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const input = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (tty) input.isTTY = true;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  if (stdin !== undefined) input.end(stdin);
  const code = await run(argv, { stdin: input, stdout, stderr });
  return { code, stdout: o, stderr: e };
}

describe('oneline command (in-process)', () => {
  it('one-shot: prints pong for ping and exits 0 [SRS-025]', async () => {
    const server = await ourServer();
    expect(await cli(['--port', String(server.port), 'ping'])).toEqual({ code: 0, stdout: 'pong\n', stderr: '' });
  });

  it('sends each command and prints one answer line per command, then disconnects [SRS-025]', async () => {
    const server = await ourServer();
    const disconnects: string[] = [];
    server.on('disconnect', (_c, r) => disconnects.push(r));
    const r = await cli(['-p', String(server.port), 'cmd01', 'cmd02']);
    expect(r).toMatchObject({ code: 0, stdout: 'ack\nnak - unknown cmd\n' });
    expect(disconnects).toEqual(['disconnect']);
  });

  it('--lines, --until and --barrier collect multi-line answers', async () => {
    const server = await ourServer({ handler: () => ['one', 'two', 'END'] });
    const p = String(server.port);
    expect((await cli(['-p', p, '--lines', '2', 'x'])).stdout).toBe('one\ntwo\n');
    expect((await cli(['-p', p, '--until', '^END$', 'x'])).stdout).toBe('one\ntwo\nEND\n');
    expect((await cli(['-p', p, '--barrier', 'x'])).stdout).toBe('one\ntwo\nEND\n');
  });

  it('reads commands from piped stdin, one per line [SRS-025]', async () => {
    const server = await ourServer();
    const r = await cli(['--port', String(server.port)], 'cmd01\nping\nzzz\n');
    expect(r).toMatchObject({ code: 0, stdout: 'ack\npong\nnak - unknown cmd\n' });
  });

  it('shutdown stops the server and exits 0 [SRS-018]', async () => {
    const server = await ourServer();
    const r = await cli(['--port', String(server.port), 'cmd01', 'shutdown']);
    expect(r).toEqual({ code: 0, stdout: 'ack\n', stderr: 'oneline: server shut down\n' });
    await server.closed;
  });

  it('exits 3 with one line on stderr when nothing listens [SRS-025]', async () => {
    const r = await cli(['--port', String(await closedPort()), 'ping']);
    expect(r.code).toBe(EXIT.connect);
    expect(r.stderr).toMatch(/^oneline: connection refused by 127\.0\.0\.1:\d+.*\(ERR_ONELINE_REFUSED\)\n$/);
  });

  it('exits 4 when the server is busy with another client [SRS-025]', async () => {
    const server = await ourServer();
    const holder = client({ port: server.port });
    await holder.connect();
    const r = await cli(['--port', String(server.port), 'ping']);
    expect(r.code).toBe(EXIT.busy);
    expect(r.stderr).toMatch(/serving another client \(ERR_ONELINE_BUSY\)\n$/);
  });

  it('exits 5 when an answer does not come in time [SRS-025]', async () => {
    const server = await ourServer({ handler: () => undefined });
    const r = await cli(['--port', String(server.port), '--timeout', '100', 'silent']);
    expect(r.code).toBe(EXIT.timeout);
    expect(r.stderr).toMatch(/ERR_ONELINE_TIMEOUT/);
  });

  it('exits 2 on a usage error [SRS-025]', async () => {
    expect((await cli(['ping'])).code).toBe(EXIT.usage);
    expect((await cli(['--port', '1', '--lines', '2', '--barrier', 'x'])).stderr).toMatch(/at most one/);
    expect((await cli(['--bogus'])).code).toBe(EXIT.usage);
  });

  it('--help explains every flag with an example', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(HELP);
    for (const flag of ['--port', '--host', '--timeout', '--retry', '--lines', '--until', '--barrier', '--tls', '--ca', '--cert', '--key', '--insecure', '--max-line', '--quiet', '--help', '--version']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/Examples:\n {2}oneline --port 5000 ping/);
  });
});

const BIN = join(__dirname, '..', 'bin', 'oneline.js');

/** Spawns the real `oneline` bin (needs the build: client:test depends on it). */
function spawnCli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const ch = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    ch.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      ch.kill('SIGKILL');
      reject(new Error(`oneline did not exit in 10 s; stderr: ${stderr}`));
    }, 10000);
    ch.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) ch.stdin.end(stdin);
    else ch.stdin.end();
  });
}

describe('oneline command (spawned bin)', () => {
  it('prints pong for `oneline --port P ping` and exits 0', async () => {
    const server = await ourServer();
    expect(await spawnCli(['--port', String(server.port), 'ping'])).toEqual({ code: 0, stdout: 'pong\n', stderr: '' });
  });

  it('reads piped stdin: `cat script | oneline --port P`', async () => {
    const server = await ourServer();
    const r = await spawnCli(['--port', String(server.port)], 'cmd01\nnope\n');
    expect(r).toEqual({ code: 0, stdout: 'ack\nnak - unknown cmd\n', stderr: '' });
  });

  it('exit codes: 3 refused, 4 busy, 2 usage [SRS-025]', async () => {
    expect((await spawnCli(['--port', String(await closedPort()), 'ping'])).code).toBe(3);
    const server = await ourServer();
    const holder = client({ port: server.port });
    await holder.connect();
    const busy = await spawnCli(['--port', String(server.port), 'ping']);
    expect(busy.code).toBe(4);
    expect(busy.stderr.trim().split('\n')).toHaveLength(1);
    expect((await spawnCli([])).code).toBe(2);
  });

  it('--version prints the package version', async () => {
    const r = await spawnCli(['--version']);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('interactive mode in a pseudo-terminal: prompt, answers, history, disconnect', async () => {
    const server = await ourServer();
    const out = await new Promise<string>((resolve, reject) => {
      execFile('python3', [join(__dirname, 'test-support', 'pty_driver.py'), process.execPath, BIN, String(server.port)], { timeout: 20000 }, (err: Error | null, stdout: string) =>
        err ? reject(err) : resolve(stdout),
      );
    });
    expect(out).toContain('oneline> ');
    // Answered twice: once typed, once recalled from history with the up arrow.
    expect(out.match(/\r?\nack\r?\n/g)?.length).toBe(2);
    expect(out).toContain('disconnected');
    expect(out).toMatch(/EXIT=0/);
  });
});
