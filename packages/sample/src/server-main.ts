/**
 * `oneline-sample-server [--host H] [--port P] [--quiet]`: runs the sample
 * server, prints exactly one line `listening on HOST:PORT` when ready, exits 0
 * after a `shutdown` command, and stops gracefully on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { createSampleServer } from './sample-server.js';

export const SERVER_HELP = `Usage: oneline-sample-server [--host HOST] [--port PORT] [--quiet]

Runs the sample oneline server: 'cmd01' -> 'ack', anything else -> 'nak - unknown cmd'.
Prints 'listening on HOST:PORT' when ready; exits 0 after a 'shutdown' command
or on SIGINT/SIGTERM.

  --host HOST   address to listen on (default 127.0.0.1)
  --port PORT   port; 0 picks a free one (default 0)
  --quiet       do not log each command on stderr
`;

/** Runs the sample server process; resolves with its exit code. */
export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
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
  const port = Number(values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`oneline-sample-server: --port must be 0..65535, got '${values.port}'\n`);
    return 2;
  }
  const server = createSampleServer({ host: values.host ?? '127.0.0.1', port, quiet: values.quiet === true });
  const onSignal = (sig: NodeJS.Signals) => {
    if (values.quiet !== true) process.stderr.write(`server: ${sig}, stopping\n`);
    void server.close();
  };
  // Before listening: a signal may come as soon as the 'listening' line is out.
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const addr = await server.listen();
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    process.stdout.write(`listening on ${host}:${addr.port}\n`);
  } catch (err) {
    process.stderr.write(`oneline-sample-server: ${(err as Error).message}\n`);
    return 1;
  }
  await server.closed;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
