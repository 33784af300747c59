/**
 * The sample server: the original sample's answers, so either side can be
 * swapped for the Python original. `cmd01` → `ack`; anything else →
 * `nak - unknown cmd`.
 */
import { OnelineServer, type Command, type Logger, type OnelineServerOptions } from '@socket-oneline/server';

/** The sample's answer to a command. */
export function sampleAnswer(command: Pick<Command, 'text' | 'invalid'>): string {
  return command.text === 'cmd01' && !command.invalid ? 'ack' : 'nak - unknown cmd';
}

/** Options of {@link createSampleServer}. */
export interface SampleServerOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** Listen on a Unix domain socket file or Windows named pipe instead of TCP (not with `host`/`port`). @defaultValue undefined (TCP) */
  path?: string;
  /** Do not log each command. @defaultValue false */
  quiet?: boolean;
  /** Where command logs go. @defaultValue a logger writing `server: <- cmd` lines to stderr */
  log?: (line: string) => void;
  /** Passed to the server for its own events. @defaultValue silent */
  logger?: Logger;
  /** Server limits passed through (see `OnelineServerOptions`); each defaults as there. */
  limits?: Pick<
    OnelineServerOptions,
    'idleTimeout' | 'firstCommandTimeout' | 'handlerTimeout' | 'maxLineLength' | 'maxPendingHandshakes' | 'closeGrace'
  >;
}

/** Creates (does not start) the sample server. */
export function createSampleServer(options: SampleServerOptions = {}): OnelineServer {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return new OnelineServer({
    ...(options.path !== undefined ? { path: options.path } : { host: options.host ?? '127.0.0.1', port: options.port ?? 0 }),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...options.limits,
    handler: (cmd) => {
      const answer = sampleAnswer(cmd);
      if (options.quiet !== true) log(`server: <- ${JSON.stringify(cmd.text)}${cmd.invalid ? ` (invalid: ${cmd.reason})` : ''} -> ${answer}`);
      return answer;
    },
  });
}
