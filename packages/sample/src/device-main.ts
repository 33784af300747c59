/**
 * `oneline-device-server [--port P]`: the JSON sample device as its own
 * process. Prints `listening on HOST:PORT` when ready; exits 0 after a
 * `shutdown` command or on SIGINT/SIGTERM.
 */
import { createDeviceServer } from './device.js';

/** Runs the device server process; resolves with its exit code. */
export async function main(argv: string[]): Promise<number> {
  const i = argv.indexOf('--port');
  const port = i === -1 ? 0 : Number(argv[i + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`oneline-device-server: --port must be 0..65535\n`);
    return 2;
  }
  const server = createDeviceServer({ port });
  const stop = () => void server.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const addr = await server.listen();
  process.stdout.write(`listening on ${addr.address}:${addr.port}\n`);
  await server.closed;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  return 0;
}
