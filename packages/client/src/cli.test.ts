import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, HELP } from './cli.js';
import { cli, startCli } from './test-support/cli-run.js';
import { makeCerts } from '@socket-oneline/testkit/certs';
import { cleanup, client, closedPort, ourServer } from './test-support/harness.js';

afterEach(cleanup);


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

  it('exits 7 with ERR_ONELINE_TLS when a plain client meets a TLS server [SRS-035]', async () => {
    const certs = makeCerts();
    try {
      const server = await ourServer({ tls: { key: certs.serverKey, cert: certs.serverCert } });
      server.on('error', () => undefined);
      const r = await cli(['--port', String(server.port), 'ping']);
      expect(r.code).toBe(EXIT.tls);
      expect(r.stderr).toMatch(/requires TLS.*\(ERR_ONELINE_TLS\)\n$/);
    } finally {
      certs.remove();
    }
  });

  it('exits 5 when an answer does not come in time [SRS-025]', async () => {
    // With the default barrier a silent command is a complete (empty) answer; --lines 1 waits for a line.
    const server = await ourServer({ handler: () => undefined });
    const r = await cli(['--port', String(server.port), '--timeout', '100', '--lines', '1', 'silent']);
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
    for (const flag of ['--port', '--host', '--timeout', '--retry', '--lines', '--until', '--barrier', '--raw', '--tls', '--ca', '--cert', '--key', '--insecure', '--max-line', '--quiet', '--help', '--version']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/Examples:\n {2}oneline --port 5000 ping/);
  });
});

describe('oneline command: zero or more lines, terminal safety, usage (issue 12)', () => {
  const sample = () =>
    ourServer({
      handler: (cmd) => (cmd.text === 'silent' ? undefined : cmd.text === 'list' ? ['a', 'b', 'c'] : cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd'),
    });

  it('by default shows zero or more answer lines per command, in step (one-shot and piped)', async () => {
    const server = await sample();
    const p = String(server.port);
    expect(await cli(['-p', p, 'silent', 'cmd01', 'list', 'cmd01'])).toEqual({ code: 0, stdout: 'ack\na\nb\nc\nack\n', stderr: '' });
    expect(await cli(['-p', p], 'silent\ncmd01\nlist\ncmd01\n')).toEqual({ code: 0, stdout: 'ack\na\nb\nc\nack\n', stderr: '' });
  });

  it('interactive: answers stay against the right commands after a command with no answer', async () => {
    const server = await sample();
    const s = startCli(['-p', String(server.port)], true);
    const { input, done } = s;
    // eslint-disable-next-line no-control-regex
    const answers = () => s.out().replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/oneline> /g, '').split(/\r?\n/).filter((l) => ['ack', 'a', 'b', 'c', 'nak - unknown cmd'].includes(l));
    for (let i = 0; i < 200 && !s.out().includes('oneline> '); i++) await new Promise((r) => setTimeout(r, 10));
    input.write('silent\ncmd01\nlist\ncmd01\n');
    for (let i = 0; i < 300 && answers().length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    input.end();
    expect(await done).toBe(0);
    expect(answers()).toEqual(['ack', 'a', 'b', 'c', 'ack']);
  });

  it('interactive: after the server leaves, the prompt says the connection is closed', async () => {
    const server = await sample();
    const s = startCli(['-p', String(server.port)], true);
    const { input, done } = s;
    for (let i = 0; i < 200 && !s.out().includes('oneline> '); i++) await new Promise((r) => setTimeout(r, 10));
    await server.close();
    input.write('cmd01\n');
    for (let i = 0; i < 200 && s.err() === ''; i++) await new Promise((r) => setTimeout(r, 10));
    input.end();
    await done;
    expect(s.err()).toMatch(/connection (is )?closed/);
    expect(s.err()).not.toMatch(/connect\(\) first/);
  });

  it('escapes control characters from the server by default; --raw passes them through', async () => {
    const hostile = '\x1b]0;pwned\x07title \x1b[2Jclear \rover \x9b31m';
    const server = await ourServer({ handler: () => hostile });
    const p = String(server.port);
    const safe = await cli(['-p', p, 'x']);
    expect(safe.code).toBe(0);
    expect(safe.stdout).toBe('\\x1b]0;pwned\\x07title \\x1b[2Jclear \\x0dover \\x9b31m\n');
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(safe.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect((await cli(['-p', p, '--raw', 'x'])).stdout).toBe(`${hostile}\n`);
  });

  it('--port 70000 says the port is out of range', async () => {
    const r = await cli(['--port', '70000', 'ping']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/out of range/);
  });

  it('--cert without --key is a usage error', async () => {
    const r = await cli(['--port', '1', '--cert', __filename, 'ping']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--cert.*--key|--key.*--cert/);
  });

  it('a --lines N timeout prints the lines that did arrive', async () => {
    const server = await ourServer({ handler: () => ['one', 'two'] });
    const r = await cli(['--port', String(server.port), '--lines', '3', '--timeout', '200', 'x']);
    expect(r.code).toBe(EXIT.timeout);
    expect(r.stdout).toBe('one\ntwo\n');
    expect(r.stderr).toMatch(/2 of 3 lines/);
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

  it('`oneline --path SOCKET ping` over a Unix socket file, and --json pretty-prints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oneline-bin-'));
    try {
      const path = join(dir, 'control.sock');
      await ourServer({ path, handler: () => '{"value":"ack"}' });
      expect(await spawnCli(['--path', path, 'ping'])).toEqual({ code: 0, stdout: 'pong\n', stderr: '' });
      expect(await spawnCli(['--path', path, '--json', 'click_left', 'x=10'])).toEqual({ code: 0, stdout: '{\n  "value": "ack"\n}\n', stderr: '' });
    } finally {
      await cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
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
