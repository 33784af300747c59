/**
 * `oneline-sample-server [--host H] [--port P | --path PATH] [--quiet]`: runs
 * the sample server, prints exactly one line `listening on HOST:PORT` (or
 * `listening on PATH`) when ready, exits 0 after a `shutdown` command, and
 * stops gracefully on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createSampleServer } from './sample-server.js';

export const SERVER_HELP = `Usage: oneline-sample-server [--host HOST] [--port PORT | --path PATH] [--quiet] [limits]

Runs the sample oneline server: 'cmd01' -> 'ack', anything else -> 'nak - unknown cmd'.
Prints 'listening on HOST:PORT' (or 'listening on PATH') when ready; exits 0
after a 'shutdown' command or on SIGINT/SIGTERM.

  --host HOST   address to listen on (default 127.0.0.1)
  --port PORT   port; 0 picks a free one (default 0)
  --path PATH   listen on a Unix domain socket file (created owner-only,
                removed on exit) or a Windows named pipe instead of TCP
  --quiet       do not log each command on stderr

Limits (milliseconds; 0 turns one off; defaults as in @socket-oneline/server):
  --idle-timeout MS            drop a client after MS without progress (default 0: off)
  --first-command-timeout MS   drop a client that sends no complete line within MS (default 10000)
  --handler-timeout MS         give up on a command after MS (default 0: off)
  --close-grace MS             while closing, MS without progress before the socket is destroyed (default 2000)
  --max-line-length BYTES      longest command accepted (default: the server's)
`;

const LIMIT_FLAGS = {
  'idle-timeout': 'idleTimeout',
  'first-command-timeout': 'firstCommandTimeout',
  'handler-timeout': 'handlerTimeout',
  'close-grace': 'closeGrace',
  'max-line-length': 'maxLineLength',
} as const;

/** Runs the sample server process; resolves with its exit code. */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        path: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        'idle-timeout': { type: 'string' },
        'first-command-timeout': { type: 'string' },
        'handler-timeout': { type: 'string' },
        'close-grace': { type: 'string' },
        'max-line-length': { type: 'string' },
      },
    }));
  } catch (err) {
    process.stderr.write(`oneline-sample-server: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(SERVER_HELP);
    return 0;
  }
  if (values.path !== undefined && (values.port !== undefined || values.host !== undefined)) {
    process.stderr.write('oneline-sample-server: give --path or --host/--port, not both\n');
    return 2;
  }
  const port = Number(values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`oneline-sample-server: --port must be 0..65535, got '${values.port}'\n`);
    return 2;
  }
  const limits: Record<string, number> = {};
  for (const [flag, option] of Object.entries(LIMIT_FLAGS)) {
    const raw = (values as Record<string, string | undefined>)[flag];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) {
      process.stderr.write(`oneline-sample-server: --${flag} must be a whole number >= 0, got '${raw}'\n`);
      return 2;
    }
    limits[option] = n;
  }
  let server;
  try {
    const where = values.path !== undefined ? { path: values.path } : { host: values.host ?? '127.0.0.1', port };
    server = createSampleServer({ ...where, quiet: values.quiet === true, limits });
  } catch (err) {
    process.stderr.write(`oneline-sample-server: ${(err as Error).message}\n`);
    return 2;
  }
  const onSignal = (sig: NodeJS.Signals) => {
    if (values.quiet !== true) process.stderr.write(`server: ${sig}, stopping\n`);
    void server.close();
  };
  // Before listening: a signal may come as soon as the 'listening' line is out.
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const addr = await server.listen();
    if (server.path !== undefined) process.stdout.write(`listening on ${server.path}\n`);
    else {
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      process.stdout.write(`listening on ${host}:${addr.port}\n`);
    }
  } catch (err) {
    process.stderr.write(`oneline-sample-server: ${(err as Error).message}\n`);
    return 1;
  }
  await server.closed;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
