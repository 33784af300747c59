import { expect } from '@jest/globals';
import { join } from 'node:path';
import { splitCommandLine } from './cli-launch.js';
import { EXIT } from './cli.js';
import { trackedPrograms } from './program.js';
import { freePort } from './test-support/ports.js';
import { cli } from './test-support/cli-run.js';

const APP = join(__dirname, 'test-support', 'app.cjs');
const ORIGINAL = join(__dirname, 'test-support', 'original_server.py');
const NODE_APP = `'${process.execPath}' '${APP}'`;
const READY = 'listening on .*:(\\d+)';

afterEach(() => {
  // Every run stops what it launched before it resolves.
  expect(trackedPrograms()).toBe(0);
});

describe('oneline --launch', () => {
  it('launches the program, runs the commands against it, stops it; exit 0 when its exit is clean [SRS-059]', async () => {
    const r = await cli(['--launch', `${NODE_APP} --delay 50`, '--ready', READY, 'cmd01', 'ping']);
    expect(r).toMatchObject({ code: EXIT.ok, stdout: 'ack\npong\n' });
    expect(r.stderr).toMatch(/launched .* \(pid \d+\), connected/);
  });

  it('a shutdown among the commands: the program exits by itself, exit 0', async () => {
    expect(await cli(['-q', '--launch', NODE_APP, '--ready', READY, 'cmd01', 'shutdown'])).toMatchObject({ code: EXIT.ok, stdout: 'ack\n', stderr: '' });
  });

  it('a fixed --port: the Python stand-in, 0.3 s slow to bind, answers every command [SRS-059]', async () => {
    const port = await freePort();
    const r = await cli(['-q', '--launch', `python3 '${ORIGINAL}' ${port} 0.3`, '--port', String(port), 'cmd01', 'cmd02']);
    expect(r).toMatchObject({ code: EXIT.ok, stdout: 'ack\nnak - unknown cmd\n' });
  });

  it('a program that exits before it is ready: exit code 9, and its own last words on stderr [SRS-059]', async () => {
    const r = await cli(['--launch', `${NODE_APP} --exit 3`, '--ready', READY, 'cmd01']);
    expect(r.code).toBe(EXIT.program);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('exited with code 3 before it was ready');
    expect(r.stderr).toContain('fatal: no display available');
  });

  it('a program whose exit is not clean (it stays up after shutdown and needs SIGTERM): exit code 9, saying so', async () => {
    const r = await cli(['--launch', `${NODE_APP} --stay`, '--ready', READY, '--stop-grace', '100', 'cmd01']);
    expect(r).toMatchObject({ code: EXIT.program, stdout: 'ack\n' });
    expect(r.stderr).toContain('the program did not exit in time and was ended by SIGTERM');
  });

  it('a failing command keeps its own exit code, and the program is still stopped', async () => {
    const r = await cli(['--launch', NODE_APP, '--ready', READY, '--lines', '2', '--timeout', '200', 'cmd01']);
    expect(r.code).toBe(EXIT.timeout);
    expect(r.stdout).toBe('ack\n');
  });

  it('--echo copies its output to stderr with a prefix', async () => {
    const r = await cli(['-q', '--echo', '--launch', NODE_APP, '--ready', READY, 'ping']);
    expect(r.stderr).toMatch(/^\[.*node\] listening on 127\.0\.0\.1:\d+\n$/);
  });

  it.each([
    [['--ready', 'x', 'ping'], /--ready, --launch-timeout, --stop-grace and --echo only apply with --launch/],
    [['--launch', 'node app.js', 'ping'], /--launch needs --ready REGEX, or a fixed --port or --path/],
    [['--launch', 'node "app.js', '--port', '5000', 'ping'], /unterminated double quote/],
    [['--launch', '  ', '--port', '5000'], /--launch needs a command/],
    [['--launch', 'node app.js', '--ready', '(', 'ping'], /--ready: Invalid regular expression/],
    [['--launch', 'node app.js', '--ready', 'listening', 'ping'], /has no group to read the port or path from/],
  ])('usage errors exit 2 and start nothing: %j', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(message);
  });
});

describe('splitCommandLine', () => {
  it.each([
    ['python3 app.py --port 0', ['python3', 'app.py', '--port', '0']],
    ["  a   'b c'  \"d \\\" e\" f\\ g ", ['a', 'b c', 'd " e', 'f g']],
    ["node -e 'console.log(\"x\")'", ['node', '-e', 'console.log("x")']],
    ["a '' b", ['a', '', 'b']],
  ])('%j', (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });
});
