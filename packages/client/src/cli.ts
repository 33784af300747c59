/**
 * The `oneline` command: a command-line client for oneline servers, the way
 * `redis-cli` or `nc` is used. `run()` takes its streams as arguments so it
 * can be tested in-process; `bin/oneline.js` calls it with the real ones.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type tls from 'node:tls';
import { DEFAULT_CLIENT_MAX_LINE_LENGTH, isOnelineError } from '@socket-oneline/protocol';
import { OnelineClient, type OnelineClientOptions, type RequestOptions, type ResponseLine } from './client.js';
import { describeExit, splitCommandLine } from './cli-launch.js';
import { EXIT, exitFor, session, type CliIO } from './cli-session.js';
import { launch, type LaunchOptions } from './launch.js';
import { UsageError, jsonCommandsFromArgs } from './cli-json.js';

export { EXIT, type CliIO } from './cli-session.js';

export const HELP = `Usage: oneline [options] [CMD ...]

Sends each CMD to a oneline server, prints its answer lines, then disconnects.
By default each command is followed by a 'ping' barrier, so every answer shows
all of its lines, zero or more (the protocol has no end-of-answer marker).
With no CMD and stdin piped, reads the commands from stdin, one per line.
With no CMD and stdin a terminal, opens an interactive prompt (arrow keys for history).

Options:
  -p, --port PORT      server port (this or --path is required)
      --host HOST      server host (default 127.0.0.1)
      --path PATH      connect to a Unix domain socket file (Linux, macOS) or
                       a Windows named pipe (\\\\.\\pipe\\NAME) instead of a port
      --timeout MS     max wait for connecting and for each answer (default 3000)
      --retry MS       keep retrying a refused or busy server for up to MS (default 0)
      --lines N        each answer is exactly N lines (no barrier); on a
                       timeout the lines that did arrive are printed
      --until REGEX    each answer ends with the first line matching REGEX
      --barrier        each answer is every line before a ping barrier's
                       pong (the default; kept for scripts)
      --raw            print answers as received; by default control
                       characters are shown escaped (\\x1b) so a server cannot
                       drive your terminal
      --tls            connect with TLS
      --ca FILE        CA certificate (PEM) to trust; implies --tls
      --cert FILE      client certificate (PEM) for mutual TLS; implies --tls
      --key FILE       client private key (PEM) for mutual TLS; implies --tls
      --insecure       do not verify the server certificate (testing only)
      --max-line BYTES max response line length (default 16777216)
      --json           JSON commands; each answer line that is JSON is
                       pretty-printed (2-space indent). A command is NAME KEY=VALUE ... (a
                       value is parsed as JSON when it parses, else kept as a
                       string: x=10 is 10, name=Ada is "Ada"; type name="A B"
                       for spaces) or a raw JSON object '{"cmd":"status"}'.
                       As arguments: one NAME KEY=VALUE ... command, or one
                       raw JSON object per argument. ping, disconnect and
                       shutdown alone stay plain. An error answer
                       {"error": {...}} is printed on stderr: exit code 8
      --field NAME     with --json, the command name field (default cmd)
      --launch "CMD ARGS"  start this program first (no shell; quotes group
                       words), connect once it is ready, run the commands,
                       then stop it (shutdown, then SIGTERM, then SIGKILL)
      --ready REGEX    with --launch: ready when a line of its output matches;
                       the first group is the port (or a socket path). Without
                       it, --port or --path is retried until the server answers
      --launch-timeout MS  with --launch: max wait until ready (default 10000)
      --stop-grace MS  with --launch: how long it may take to exit after
                       shutdown before SIGTERM (default 5000)
      --echo           with --launch: copy its output to stderr, prefixed
  -q, --quiet          no notes on stderr (errors still print)
  -h, --help           show this help
      --version        print the version

Built-ins: 'ping' prints pong; 'disconnect' or 'shutdown' ends the session
(shutdown also stops the server). Without either, 'disconnect' is sent at the end.

Exit codes: 0 ok, 1 other error, 2 usage (with --json also a command that
cannot be made into JSON), 3 cannot connect (refused, no socket file,
handshake), 4 server busy with another client, 5 timeout, 6 closed by the
server, 7 TLS failure (certificate refused, or TLS on one side only),
8 with --json, a command was answered with an error (the others still ran),
9 with --launch, the program could not start or get ready, or its exit was
not clean (a non-zero code, or it had to be stopped with a signal).

Examples:
  oneline --port 5000 ping                      # prints: pong
  oneline --port 5000 cmd01 cmd02               # every answer line of each command
  printf 'cmd01\\nping\\n' | oneline --port 5000  # commands from stdin
  oneline --port 5000 --lines 3 list            # exactly 3 lines, no barrier
  oneline --port 5000 --retry 5000 ping         # wait up to 5 s for the server
  oneline --port 5000 --ca ca.pem --cert me.pem --key me.key ping
  oneline --path /run/app/control.sock ping     # a Unix domain socket
  oneline --port 5000 --json click_left x=10 y=20
  oneline --port 5000 --json '{"cmd":"status"}'
  printf 'status\\nrename name="Ada L"\\n' | oneline --port 5000 --json
  oneline --launch "python3 app.py --port 0" --ready 'listening on .*:(\\d+)' cmd01
`;

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/**
 * Runs the `oneline` command with `argv` (without `node` and the script).
 * Resolves with the exit code; never calls `process.exit` itself.
 */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const out = (s: string) => io.stdout.write(`${s}\n`);
  let quiet = false;
  const note = (s: string) => {
    if (!quiet) io.stderr.write(`${s}\n`);
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        path: { type: 'string' },
        json: { type: 'boolean' },
        field: { type: 'string' },
        timeout: { type: 'string' },
        retry: { type: 'string' },
        lines: { type: 'string' },
        until: { type: 'string' },
        barrier: { type: 'boolean' },
        raw: { type: 'boolean' },
        tls: { type: 'boolean' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        insecure: { type: 'boolean' },
        'max-line': { type: 'string' },
        launch: { type: 'string' },
        ready: { type: 'string' },
        'launch-timeout': { type: 'string' },
        'stop-grace': { type: 'string' },
        echo: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.stderr.write(`oneline: ${(err as Error).message}\nTry 'oneline --help'.\n`);
    return EXIT.usage;
  }
  const v = parsed.values;
  if (v.help === true) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (v.version === true) {
    out(io.version ?? 'unknown');
    return EXIT.ok;
  }
  quiet = v.quiet === true;
  const raw = v.raw === true;
  const json = v.json === true;
  const field = v.field ?? 'cmd';
  let client: OnelineClient | undefined;
  let program: { command: string; args: string[]; options: LaunchOptions } | undefined;
  let mode: RequestOptions;
  let commands: string[];
  try {
    if (v.launch === undefined && (v.ready !== undefined || v['launch-timeout'] !== undefined || v['stop-grace'] !== undefined || v.echo === true)) {
      throw new UsageError('--ready, --launch-timeout, --stop-grace and --echo only apply with --launch');
    }
    let where: { port: number; host: string } | { path: string } | { host?: string } | undefined;
    if (v.path !== undefined) {
      if (v.port !== undefined || v.host !== undefined) throw new UsageError('give --path or --port/--host, not both');
      if (v.path === '') throw new UsageError('--path must not be empty');
      where = { path: v.path };
    } else if (v.port === undefined) {
      // With --launch --ready, the program's output says where.
      if (v.launch === undefined || v.ready === undefined) {
        throw new UsageError(v.launch === undefined ? '--port (1..65535) or --path is required' : '--launch needs --ready REGEX, or a fixed --port or --path');
      }
      where = v.host !== undefined ? { host: v.host } : {};
    } else {
      const port = int('port', v.port, 0)!;
      if (port < 1 || port > 65535) throw new UsageError(`--port ${v.port} is out of range (1..65535)`);
      where = { port, host: v.host ?? '127.0.0.1' };
    }
    const timeout = int('timeout', v.timeout, 0) ?? 3000;
    const given = Number(v.lines !== undefined) + Number(v.until !== undefined) + Number(v.barrier === true);
    if (given > 1) throw new UsageError('give at most one of --lines, --until, --barrier');
    if (v.field !== undefined && !json) throw new UsageError('--field only applies with --json');
    if (field === '') throw new UsageError('--field must not be empty');
    // Before connecting: a command that cannot be made is a usage error with nothing sent.
    commands = json ? jsonCommandsFromArgs(parsed.positionals, field) : parsed.positionals;
    let until: RegExp | undefined;
    if (v.until !== undefined) {
      try {
        until = new RegExp(v.until);
      } catch (err) {
        throw new UsageError(`--until: ${(err as Error).message}`);
      }
    }
    const lines = int('lines', v.lines, 0);
    mode = until !== undefined ? { until: (l: ResponseLine) => until.test(l.text) } : lines !== undefined ? { lines } : { barrier: true };
    if ((v.cert === undefined) !== (v.key === undefined)) {
      throw new UsageError(v.cert !== undefined ? '--cert needs --key (the private key of the certificate)' : '--key needs --cert (the certificate of the key)');
    }
    const wantTls = v.tls === true || v.ca !== undefined || v.cert !== undefined || v.key !== undefined || v.insecure === true;
    let tlsOptions: tls.ConnectionOptions | undefined;
    if (wantTls) {
      const read = (f: string) => {
        try {
          return readFileSync(f);
        } catch (err) {
          throw new UsageError(`cannot read ${f}: ${(err as Error).message}`);
        }
      };
      tlsOptions = {
        ...(v.ca !== undefined ? { ca: read(v.ca) } : {}),
        ...(v.cert !== undefined ? { cert: read(v.cert) } : {}),
        ...(v.key !== undefined ? { key: read(v.key) } : {}),
        ...(v.insecure === true ? { rejectUnauthorized: false } : {}),
      };
    }
    const clientOptions = {
      timeout,
      connectTimeout: timeout,
      retryFor: int('retry', v.retry, 0) ?? 0,
      maxLineLength: int('max-line', v['max-line'], 1) ?? DEFAULT_CLIENT_MAX_LINE_LENGTH,
      ...(tlsOptions !== undefined ? { tls: tlsOptions } : {}),
    } satisfies Omit<OnelineClientOptions, 'port' | 'path' | 'host'>;
    if (v.launch !== undefined) {
      const [command, ...args] = splitCommandLine(v.launch);
      let ready: RegExp | undefined;
      try {
        ready = v.ready === undefined ? undefined : new RegExp(v.ready);
      } catch (err) {
        throw new UsageError(`--ready: ${(err as Error).message}`);
      }
      const echo = v.echo === true ? (line: string) => io.stderr.write(`[${basename(command!)}] ${line}\n`) : undefined;
      program = {
        command: command!,
        args,
        options: {
          ...where,
          ...(ready !== undefined ? { ready } : {}),
          ...(echo !== undefined ? { echo } : {}),
          timeout: int('launch-timeout', v['launch-timeout'], 1) ?? 10_000,
          stopGrace: int('stop-grace', v['stop-grace'], 0) ?? 5000,
          client: clientOptions,
        },
      };
    } else {
      client = new OnelineClient({ ...(where as { port: number; host: string } | { path: string }), ...clientOptions });
    }
  } catch (err) {
    io.stderr.write(`oneline: ${(err as Error).message}\nTry 'oneline --help'.\n`);
    return EXIT.usage;
  }

  const fail = (err: unknown): number => {
    const code = isOnelineError(err) ? err.code : undefined;
    io.stderr.write(`oneline: ${(err as Error).message}${code !== undefined ? ` (${code})` : ''}\n`);
    return exitFor(code);
  };

  if (program === undefined) {
    try {
      await client!.connect();
    } catch (err) {
      return fail(err);
    }
    return session(client!, commands, mode, parsed.positionals.length > 0, io, { json, field, raw, quiet });
  }
  // --launch: start it, run the session against it, stop it; a clean exit is part of success.
  let launched;
  try {
    launched = await launch(program.command, program.args, program.options);
  } catch (err) {
    if (isOnelineError(err, 'ERR_ONELINE_INVALID_OPTION')) {
      io.stderr.write(`oneline: ${err.message}\nTry 'oneline --help'.\n`);
      return EXIT.usage;
    }
    io.stderr.write(`oneline: ${(err as Error).message}\n`);
    return isOnelineError(err, 'ERR_ONELINE_LAUNCH_FAILED') ? EXIT.program : EXIT.error;
  }
  note(`oneline: launched ${program.command} (pid ${launched.pid}), connected`);
  const code = await session(launched.client, commands, mode, parsed.positionals.length > 0, io, { json, field, raw, quiet });
  const exit = await launched.stop();
  if (!exit.clean || code !== EXIT.ok) note(`oneline: ${describeExit(exit)}`);
  return code !== EXIT.ok ? code : exit.clean ? EXIT.ok : EXIT.program;
}
