/**
 * The `oneline` command: a command-line client for oneline servers, the way
 * `redis-cli` or `nc` is used. `run()` takes its streams as arguments so it
 * can be tested in-process; `bin/oneline.js` calls it with the real ones.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type tls from 'node:tls';
import { DEFAULT_CLIENT_MAX_LINE_LENGTH, isOnelineError, type OnelineErrorCode } from '@socket-oneline/protocol';
import { OnelineClient, type RequestOptions, type ResponseLine } from './client.js';
import { escapeForTerminal } from './escape.js';
import { UsageError, formatJsonAnswer, jsonCommandFromLine, jsonCommandsFromArgs } from './cli-json.js';

/** Exit codes of the `oneline` command. */
export const EXIT = Object.freeze({
  ok: 0,
  error: 1,
  usage: 2,
  connect: 3,
  busy: 4,
  timeout: 5,
  closed: 6,
  tls: 7,
  remote: 8,
});

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
  -q, --quiet          no notes on stderr (errors still print)
  -h, --help           show this help
      --version        print the version

Built-ins: 'ping' prints pong; 'disconnect' or 'shutdown' ends the session
(shutdown also stops the server). Without either, 'disconnect' is sent at the end.

Exit codes: 0 ok, 1 other error, 2 usage (with --json also a command that
cannot be made into JSON), 3 cannot connect (refused, no socket file,
handshake), 4 server busy with another client, 5 timeout, 6 closed by the
server, 7 TLS failure (certificate refused, or TLS on one side only),
8 with --json, a command was answered with an error (the others still ran).

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
`;

/** The streams the command uses. */
export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  /** What `--version` prints (the bin passes its package's version). */
  version?: string;
}

const NL = Buffer.from('\n');

function exitFor(code: OnelineErrorCode | undefined): number {
  switch (code) {
    case 'ERR_ONELINE_REFUSED':
    case 'ERR_ONELINE_HANDSHAKE_FAILED':
    case 'ERR_ONELINE_SOCKET':
      return EXIT.connect;
    case 'ERR_ONELINE_BUSY':
      return EXIT.busy;
    case 'ERR_ONELINE_TIMEOUT':
      return EXIT.timeout;
    case 'ERR_ONELINE_CLOSED':
    case 'ERR_ONELINE_NOT_CONNECTED':
      return EXIT.closed;
    case 'ERR_ONELINE_TLS':
      return EXIT.tls;
    default:
      return EXIT.error;
  }
}

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
  let raw = false;
  const show = (l: ResponseLine) => {
    if (raw) io.stdout.write(Buffer.concat([l.bytes, NL]));
    else out(escapeForTerminal(l.text));
  };
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
  raw = v.raw === true;
  const json = v.json === true;
  const field = v.field ?? 'cmd';
  let client: OnelineClient;
  let mode: RequestOptions;
  let commands: string[];
  try {
    let where: { port: number; host: string } | { path: string };
    if (v.path !== undefined) {
      if (v.port !== undefined || v.host !== undefined) throw new UsageError('give --path or --port/--host, not both');
      if (v.path === '') throw new UsageError('--path must not be empty');
      where = { path: v.path };
    } else {
      if (v.port === undefined) throw new UsageError('--port (1..65535) or --path is required');
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
    client = new OnelineClient({
      ...where,
      timeout,
      connectTimeout: timeout,
      retryFor: int('retry', v.retry, 0) ?? 0,
      maxLineLength: int('max-line', v['max-line'], 1) ?? DEFAULT_CLIENT_MAX_LINE_LENGTH,
      ...(tlsOptions !== undefined ? { tls: tlsOptions } : {}),
    });
  } catch (err) {
    io.stderr.write(`oneline: ${(err as Error).message}\nTry 'oneline --help'.\n`);
    return EXIT.usage;
  }

  const fail = (err: unknown): number => {
    const code = isOnelineError(err) ? err.code : undefined;
    io.stderr.write(`oneline: ${(err as Error).message}${code !== undefined ? ` (${code})` : ''}\n`);
    return exitFor(code);
  };

  try {
    await client.connect();
  } catch (err) {
    return fail(err);
  }

  // With --json: pretty JSON answers; error answers go to stderr and make the exit code 8.
  let errorAnswers = 0;
  const showJson = (l: ResponseLine) => {
    const shown = formatJsonAnswer(l.text, raw);
    if (shown.kind === 'text') show(l);
    else if (!shown.error) out(shown.pretty);
    else {
      errorAnswers++;
      io.stderr.write(`${shown.pretty}\n`);
    }
  };
  // A typed or piped line as a command (JSON commands are made here).
  const toCommand = (text: string): string | undefined => (json ? jsonCommandFromLine(text, field) : text);

  /** Runs one command; returns true when the session ended (disconnect/shutdown). */
  const exec = async (cmd: string): Promise<boolean> => {
    if (cmd === 'disconnect' || cmd === 'shutdown') {
      await (cmd === 'disconnect' ? client.disconnect() : client.shutdown());
      note(cmd === 'shutdown' ? 'oneline: server shut down' : 'oneline: disconnected');
      return true;
    }
    let lines: ResponseLine[];
    try {
      lines = await client.request(cmd, cmd === 'ping' ? {} : mode);
    } catch (err) {
      // A timeout still shows what did arrive.
      for (const l of (err as { received?: ResponseLine[] }).received ?? []) show(l);
      throw err;
    }
    for (const l of lines) (json ? showJson : show)(l);
    return false;
  };

  try {
    let ended = false;
    let exit: number = EXIT.ok;
    if (parsed.positionals.length > 0) {
      for (const cmd of commands) {
        if ((ended = await exec(cmd))) break;
      }
    } else if (io.stdin.isTTY === true) {
      const how = await interactive(client, io, async (text) => {
        const cmd = toCommand(text);
        return cmd === undefined ? false : exec(cmd);
      });
      if (how === 'closed') return EXIT.closed;
      ended = how === 'ended';
    } else {
      const rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
      let n = 0;
      for await (const text of rl) {
        n++;
        let cmd: string | undefined;
        try {
          cmd = toCommand(text);
        } catch (err) {
          if (!(err instanceof UsageError)) throw err;
          // Stop at a line that cannot be made into a command: the ones after it may depend on it.
          io.stderr.write(`oneline: line ${n}: ${err.message}\n`);
          exit = EXIT.usage;
          break;
        }
        if (cmd !== undefined && (ended = await exec(cmd))) break;
      }
      rl.close();
    }
    if (!ended && client.connected) await client.disconnect();
    return exit !== EXIT.ok ? exit : errorAnswers > 0 ? EXIT.remote : EXIT.ok;
  } catch (err) {
    client.destroy();
    return fail(err);
  }
}

/** The interactive prompt. Resolves 'ended' after disconnect/shutdown, 'eof' on Ctrl-D, 'closed' when the server left. */
async function interactive(
  client: OnelineClient,
  io: CliIO,
  exec: (cmd: string) => Promise<boolean>,
): Promise<'ended' | 'eof' | 'closed'> {
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true, historySize: 500 });
  let serverLeft = false;
  // Say so at once, not on the next command.
  const onClose = (err: Error | undefined) => {
    serverLeft = true;
    io.stderr.write(`\noneline: the connection is closed${err !== undefined ? `: ${err.message}` : ' (the server closed it)'}\n`);
    rl.close();
  };
  client.once('close', onClose);
  io.stdout.write("connected; type commands, 'disconnect' or Ctrl-D to leave\n");
  rl.setPrompt('oneline> ');
  rl.prompt();
  try {
    for await (const cmd of rl) {
      if (cmd.trim() === '') {
        rl.prompt();
        continue;
      }
      try {
        if (await exec(cmd)) return 'ended';
      } catch (err) {
        if (!client.connected) {
          if (serverLeft) return 'closed';
          throw err;
        }
        io.stderr.write(`oneline: ${(err as Error).message}\n`);
      }
      if (serverLeft) return 'closed';
      rl.prompt();
    }
    if (serverLeft) return 'closed';
    io.stdout.write('\n');
    return 'eof';
  } finally {
    client.off('close', onClose);
    rl.close();
  }
}
