import { expect } from '@jest/globals';
// `oneline --path` and `oneline --json` (issues 14 and 16), in-process against
// a real OnelineServer (with `jsonRouter` for JSON), one-shot, piped and interactive.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonCommandError, jsonRouter } from '@socket-oneline/server';
import type { CommandMap } from '@socket-oneline/protocol';
import { EXIT, HELP } from './cli.js';
import { cli, startCli } from './test-support/cli-run.js';
import { formatJsonAnswer, jsonCommandFromLine, jsonCommandsFromArgs, splitWords } from './cli-json.js';
import { cleanup, client, ourServer } from './test-support/harness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oneline-cli-'));
});
afterEach(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});


interface Device extends CommandMap {
  click_left: { params: { x: number; y: number }; result: { value: string; x: number; y: number } };
  status: { params: undefined; result: { state: string } };
  rename: { params: { name: string }; result: { name: string } };
  echo: { params: Record<string, unknown>; result: Record<string, unknown> };
  refuse: { params: undefined; result: never };
}

/** Every command the router got, as the handlers saw it. */
let seen: unknown[] = [];

function device(options: { path?: string; field?: string } = {}) {
  seen = [];
  const handler = jsonRouter<Device>(
    {
      click_left: (p) => (seen.push(p), { value: 'ack', x: p.x, y: p.y }),
      status: () => ({ state: 'idle' }),
      rename: (p) => (seen.push(p), { name: p.name }),
      echo: (p) => (seen.push(p), p),
      refuse: () => {
        throw new JsonCommandError('E_DEVICE_BUSY', 'the device is busy', { retryAfter: 5 });
      },
    },
    { ...(options.field !== undefined ? { field: options.field } : {}), text: (cmd) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd') },
  );
  return ourServer(options.path !== undefined ? { handler, path: options.path } : { handler });
}

const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

describe('oneline --path', () => {
  it('one-shot over a socket file: ping and a command', async () => {
    const path = join(dir, 'control.sock');
    await ourServer({ path });
    expect(await cli(['--path', path, 'ping', 'cmd01'])).toEqual({ code: 0, stdout: 'pong\nack\n', stderr: '' });
  });

  it('piped commands over a socket file, then shutdown removes the file', async () => {
    const path = join(dir, 'control.sock');
    const server = await ourServer({ path });
    const r = await cli(['--path', path], 'cmd01\nzzz\nshutdown\n');
    expect(r).toEqual({ code: 0, stdout: 'ack\nnak - unknown cmd\n', stderr: 'oneline: server shut down\n' });
    await server.closed;
    expect(existsSync(path)).toBe(false);
  });

  it('busy: exit 4 when another client holds the socket file', async () => {
    const path = join(dir, 'control.sock');
    await ourServer({ path });
    const holder = client({ path });
    await holder.connect();
    const r = await cli(['--path', path, 'ping']);
    expect(r.code).toBe(EXIT.busy);
    expect(r.stderr).toMatch(/ERR_ONELINE_BUSY/);
  });

  it('no socket file: exit 3, naming the path', async () => {
    const path = join(dir, 'nothing.sock');
    const r = await cli(['--path', path, 'ping']);
    expect(r.code).toBe(EXIT.connect);
    expect(r.stderr).toContain(path);
    expect(r.stderr).toMatch(/ERR_ONELINE_REFUSED/);
  });

  it('--path with --port or --host is a usage error; neither is one too', async () => {
    expect(await cli(['--path', '/tmp/x.sock', '--port', '5000', 'ping'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringMatching(/--path or --port/) });
    expect(await cli(['--path', '/tmp/x.sock', '--host', 'localhost', 'ping'])).toMatchObject({ code: EXIT.usage });
    expect(await cli(['ping'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringMatching(/--port .*or --path is required/) });
  });
});

describe('oneline --json', () => {
  it('one-shot NAME KEY=VALUE: values parsed as JSON when they parse, else strings; the answer pretty-printed', async () => {
    const server = await device();
    const r = await cli(['--port', String(server.port), '--json', 'echo', 'x=10', 'name=Ada', 'ok=true', 'none=null', 'list=[1,"a"]', 'obj={"k":1}', 'quoted="10"', 'empty=', 'eq=a=b']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sent = { x: 10, name: 'Ada', ok: true, none: null, list: [1, 'a'], obj: { k: 1 }, quoted: '10', empty: '', eq: 'a=b' };
    expect(seen).toEqual([sent]);
    expect(r.stdout).toBe(pretty(sent));
  });

  it('one-shot: a value with spaces in one shell argument stays one string', async () => {
    const server = await device();
    const r = await cli(['--port', String(server.port), '--json', 'rename', 'name=Ada Lovelace']);
    expect(r).toEqual({ code: 0, stdout: pretty({ name: 'Ada Lovelace' }), stderr: '' });
  });

  it('one-shot raw JSON objects, one per argument, and a built-in among them', async () => {
    const server = await device();
    const r = await cli(['--port', String(server.port), '--json', '{"cmd":"status"}', '{\n  "cmd": "click_left", "x": 1, "y": 2\n}', 'ping']);
    expect(r).toEqual({ code: 0, stdout: `${pretty({ state: 'idle' })}${pretty({ value: 'ack', x: 1, y: 2 })}pong\n`, stderr: '' });
  });

  it('an error answer goes to stderr, pretty-printed, with exit code 8; the other commands still run', async () => {
    const server = await device();
    const r = await cli(['--port', String(server.port), '--json'], 'refuse\nstatus\nnope\n');
    expect(r.code).toBe(EXIT.remote);
    expect(r.code).toBe(8);
    expect(r.stdout).toBe(pretty({ state: 'idle' }));
    const first = pretty({ error: { code: 'E_DEVICE_BUSY', message: 'the device is busy', details: { retryAfter: 5 } } });
    expect(r.stderr.startsWith(first)).toBe(true);
    const second = r.stderr.slice(first.length);
    expect(JSON.parse(second)).toEqual({ error: { code: 'ERR_ONELINE_UNKNOWN_COMMAND', message: expect.stringContaining('nope') } });
    expect(second).toBe(pretty(JSON.parse(second)));
  });

  it('piped: NAME KEY=VALUE lines (double quotes keep spaces), raw JSON lines, blank lines skipped, built-ins', async () => {
    const server = await device();
    const input = ['click_left x=10 y=20', '', 'rename name="Ada Lovelace"', '{"cmd":"status"}', 'echo tags=["a b", 2] n=-1.5', 'ping', 'shutdown', ''].join('\n');
    const r = await cli(['--port', String(server.port), '--json'], input);
    expect(r.stdout).toBe(
      pretty({ value: 'ack', x: 10, y: 20 }) + pretty({ name: 'Ada Lovelace' }) + pretty({ state: 'idle' }) + pretty({ tags: ['a b', 2], n: -1.5 }) + 'pong\n',
    );
    expect(r.stderr).toBe('oneline: server shut down\n');
    expect(r.code).toBe(0);
    await server.closed;
  });

  it('piped: a line that cannot be made into a command stops the run with exit 2, naming the line', async () => {
    const server = await device();
    const r = await cli(['--port', String(server.port), '--json'], 'status\nclick_left x\nstatus\n');
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout).toBe(pretty({ state: 'idle' }));
    expect(r.stderr).toBe("oneline: line 2: expected key=value after the command name, got 'x'\n");
  });

  it('one-shot: bad input is a usage error before anything is sent', async () => {
    const server = await device();
    const commands: string[] = [];
    server.on('command', (c) => commands.push(c.text));
    const p = String(server.port);
    expect(await cli(['--port', p, '--json', '{"cmd": nope}'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringMatching(/not JSON/) });
    expect(await cli(['--port', p, '--json', '[1, 2]'])).toMatchObject({ code: EXIT.usage });
    expect(await cli(['--port', p, '--json', '{"cmd":"status"}', 'status'])).toMatchObject({ code: EXIT.usage });
    expect(await cli(['--port', p, '--json', 'echo', 'cmd=x'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringMatching(/command field 'cmd'/) });
    expect(await cli(['--port', p, '--json', 'echo', 'a=1', 'a=2'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringMatching(/given twice/) });
    expect(await cli(['--port', p, '--field', 'op', 'status'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringMatching(/--field only applies with --json/) });
    expect(commands).toEqual([]);
  });

  it('answers of zero or several lines stay in step (the default ping barrier); --lines N works too', async () => {
    // Not a JSON router: a server whose answers have 0, 1 or 2 JSON lines.
    const server = await ourServer({
      handler: (cmd) => {
        const n = (JSON.parse(cmd.text) as { n: number }).n;
        return Array.from({ length: n }, (_, i) => JSON.stringify({ i }));
      },
    });
    const p = String(server.port);
    expect(await cli(['-p', p, '--json'], 'count n=2\ncount n=0\ncount n=1\n')).toEqual({ code: 0, stdout: pretty({ i: 0 }) + pretty({ i: 1 }) + pretty({ i: 0 }), stderr: '' });
    expect(await cli(['-p', p, '--json', '--lines', '2', 'count', 'n=2'])).toEqual({ code: 0, stdout: pretty({ i: 0 }) + pretty({ i: 1 }), stderr: '' });
  });

  it('--field names the command field', async () => {
    const server = await device({ field: 'op' });
    expect(await cli(['--port', String(server.port), '--json', '--field', 'op', 'status'])).toEqual({ code: 0, stdout: pretty({ state: 'idle' }), stderr: '' });
  });

  it('over a socket file too', async () => {
    const path = join(dir, 'device.sock');
    await device({ path });
    expect(await cli(['--path', path, '--json', 'click_left', 'x=3', 'y=4'])).toEqual({ code: 0, stdout: pretty({ value: 'ack', x: 3, y: 4 }), stderr: '' });
  });

  it('answers that are not JSON are shown as text lines', async () => {
    // A plain server (not a JSON router) answers a JSON command in plain text.
    const server = await ourServer();
    const r = await cli(['--port', String(server.port), '--json'], 'status\n');
    expect(r).toEqual({ code: 0, stdout: 'nak - unknown cmd\n', stderr: '' });
  });

  it('interactive: JSON answers pretty-printed at the prompt; a bad line is reported and the prompt goes on', async () => {
    const server = await device();
    const s = startCli(['--port', String(server.port), '--json'], true);
    const { input, done } = s;
    const wait = async (ok: () => boolean) => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await wait(() => s.out().includes('oneline> '));
    input.write('click_left x=10 y=20\n');
    await wait(() => s.out().includes('"value": "ack"'));
    input.write('click_left x\n');
    await wait(() => s.err().includes('key=value'));
    input.write('refuse\n');
    await wait(() => s.err().includes('E_DEVICE_BUSY'));
    input.write('status\n');
    await wait(() => s.out().includes('"state": "idle"'));
    input.end();
    expect(await done).toBe(EXIT.remote);
    // The terminal may echo input and redraw the prompt; the answer itself is there as printed.
    expect(s.out().replace(/\r/g, '')).toContain(pretty({ value: 'ack', x: 10, y: 20 }));
    expect(s.out().replace(/\r/g, '')).toContain(pretty({ state: 'idle' }));
    expect(s.err()).toContain("oneline: expected key=value after the command name, got 'x'");
    expect(s.err()).toContain(pretty({ error: { code: 'E_DEVICE_BUSY', message: 'the device is busy', details: { retryAfter: 5 } } }));
  });

  it('--help documents --path, --json, --field and exit code 8', () => {
    for (const s of ['--path PATH', '--json', '--field NAME', 'exit code 8', '8 with --json']) expect(HELP).toContain(s);
  });
});

describe('cli-json helpers', () => {
  it('splitWords keeps double-quoted strings and bracketed values together', () => {
    expect(splitWords('a  b="x y" c=[1, "2 3"] d={"k": [1, 2]}\te')).toEqual(['a', 'b="x y"', 'c=[1, "2 3"]', 'd={"k": [1, 2]}', 'e']);
    expect(splitWords('s="a \\" b"')).toEqual(['s="a \\" b"']);
    expect(() => splitWords('a b="x')).toThrow(/unterminated "string"/);
    expect(() => splitWords('a b=[1, 2')).toThrow(/unterminated \[ or \{/);
  });

  it('command lines never contain a raw LF, whatever was typed', () => {
    expect(jsonCommandsFromArgs(['echo', 'text=a\nb'], 'cmd')).toEqual(['{"cmd":"echo","text":"a\\nb"}']);
    expect(jsonCommandsFromArgs(['{\n"cmd": "x"\n}'], 'cmd')).toEqual(['{"cmd":"x"}']);
    expect(jsonCommandFromLine('   ', 'cmd')).toBeUndefined();
    expect(jsonCommandFromLine(' shutdown ', 'cmd')).toBe('shutdown');
  });

  it('formatJsonAnswer escapes DEL and C1 controls (valid JSON, terminal-safe) unless raw', () => {
    const line = JSON.stringify({ t: 'a\u009b31mb\u007f' });
    const shown = formatJsonAnswer(line, false);
    expect(shown).toEqual({ kind: 'json', pretty: '{\n  "t": "a\\u009b31mb\\u007f"\n}', error: false });
    expect(JSON.parse((shown as { pretty: string }).pretty)).toEqual({ t: 'a\u009b31mb\u007f' });
    expect((formatJsonAnswer(line, true) as { pretty: string }).pretty).toContain('\u009b');
    expect(formatJsonAnswer('pong', false)).toEqual({ kind: 'text' });
    expect(formatJsonAnswer('{"error":{"code":"E","message":"m"}}', false)).toMatchObject({ error: true });
    // An object with an `error` field and others is a result, as for JsonClient.call().
    expect(formatJsonAnswer('{"error":"none","value":1}', false)).toMatchObject({ error: false });
  });
});
