/**
 * The session part of the `oneline` command: runs commands on a connected client (from the
 * arguments, piped stdin, or the interactive prompt) and maps errors to exit codes.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isOnelineError, type OnelineErrorCode } from '@socket-oneline/protocol';
import type { OnelineClient, RequestOptions, ResponseLine } from './client.js';
import { escapeForTerminal } from './escape.js';
import { UsageError, formatJsonAnswer, jsonCommandFromLine } from './cli-json.js';

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
  program: 9,
});

/** The streams the command uses. */
export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  /** What `--version` prints (the bin passes its package's version). */
  version?: string;
}

const NL = Buffer.from('\n');

export function exitFor(code: OnelineErrorCode | undefined): number {
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

/** Runs the commands (arguments, piped stdin or the prompt) on a connected client; resolves with the exit code. */
export async function session(
  client: OnelineClient,
  commands: string[],
  mode: RequestOptions,
  fromArgs: boolean,
  io: CliIO,
  flags: { json: boolean; field: string; raw: boolean; quiet: boolean },
): Promise<number> {
  const { json, field, raw } = flags;
  const out = (s: string) => io.stdout.write(`${s}\n`);
  const show = (l: ResponseLine) => {
    if (raw) io.stdout.write(Buffer.concat([l.bytes, NL]));
    else out(escapeForTerminal(l.text));
  };
  const note = (s: string) => {
    if (!flags.quiet) io.stderr.write(`${s}\n`);
  };
  const fail = (err: unknown): number => {
    const code = isOnelineError(err) ? err.code : undefined;
    io.stderr.write(`oneline: ${(err as Error).message}${code !== undefined ? ` (${code})` : ''}\n`);
    return exitFor(code);
  };

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
    if (fromArgs) {
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
