// Checks the shape of the options object before anything else reads it:
// an unknown key (a typo, or an option of another version) or a value of the
// wrong type is a clear error, never silently ignored.
import type tls from 'node:tls';
import { OnelineError, type Logger } from '@socket-oneline/protocol';
import type { CommandHandler } from './handler.js';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'function';

const KINDS: Readonly<Record<string, Kind>> = Object.freeze({
  handler: 'function',
  host: 'string',
  port: 'number',
  path: 'string',
  mode: 'number',
  maxLineLength: 'number',
  stripCR: 'boolean',
  idleTimeout: 'number',
  handlerTimeout: 'number',
  writeHighWaterMark: 'number',
  maxQueuedBytes: 'number',
  tls: 'object',
  maxPendingHandshakes: 'number',
  maxRejecting: 'number',
  firstCommandTimeout: 'number',
  keepAliveDelay: 'number',
  logger: 'object',
  verbose: 'boolean',
  closeGrace: 'number',
  drainTimeout: 'number',
});

/**
 * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a missing options
 *   object, an unknown key, a value of the wrong type, or `path` with `host`/`port`.
 */
export function checkServerOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'options must be an object with at least a handler');
  }
  for (const [key, value] of Object.entries(options)) {
    const kind = KINDS[key];
    if (kind === undefined) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `unknown option '${key}' (known: ${Object.keys(KINDS).join(', ')})`);
    }
    if (value === undefined) continue;
    const actual = value === null ? 'null' : typeof value;
    if (actual !== kind) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `option '${key}' must be a ${kind}, got ${actual}`);
    }
  }
  const o = options as Record<string, unknown>;
  if (o.path !== undefined && (o.host !== undefined || o.port !== undefined)) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'give either path or host/port, not both');
  }
  if (o.path === '') throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'path must not be empty');
  const mode = o.mode as number | undefined; // a number: the loop above checked every kind
  if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o777)) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `mode must be a file mode 0..0o777, got ${mode}`);
  }
}

/** TLS settings; any other `tls.TlsOptions` field is passed through. */
export interface OnelineServerTlsOptions extends tls.TlsOptions {
  /** Private key (PEM). */
  key?: tls.TlsOptions['key'];
  /** Certificate chain (PEM). */
  cert?: tls.TlsOptions['cert'];
  /** CAs that client certificates must chain to (mutual TLS). */
  ca?: tls.TlsOptions['ca'];
  /** Ask clients for a certificate (mutual TLS); with the default `rejectUnauthorized: true` one is required. */
  requestCert?: boolean;
}

/** Options of {@link OnelineServer}. */
export interface OnelineServerOptions {
  /** The command handler (required): `(command, reply, context) => result`. */
  handler: CommandHandler;
  /** Address to listen on. Listening on all interfaces (`0.0.0.0`, `::`) is an explicit choice. @defaultValue `'127.0.0.1'` */
  host?: string;
  /** Port; 0 picks a free one (read it from {@link OnelineServer.port}). @defaultValue 0 */
  port?: number;
  /**
   * Listen on a Unix domain socket file (Linux, macOS) or a Windows named
   * pipe (`\\.\pipe\name`) instead of TCP; not with `host` or `port`. A path
   * held by a live server is refused (`ERR_ONELINE_ADDRESS_IN_USE`), a stale
   * socket file is replaced, and the file is removed on close.
   * @defaultValue undefined (TCP)
   */
  path?: string;
  /** File mode of the socket file made for `path`. A control socket is a door into the program: widen it deliberately. @defaultValue 0o600 (owner only) */
  mode?: number;
  /** Maximum command length in bytes (before the LF). Longer lines reach the handler flagged `too-long`. @defaultValue 1048576 (1 MiB, `DEFAULT_MAX_LINE_LENGTH`: one client at a time, and real commands carry JSON documents) */
  maxLineLength?: number;
  /** Strip one CR before the LF. @defaultValue true */
  stripCR?: boolean;
  /**
   * Drop a client after this many ms without progress: no complete command
   * received, no answer written (a client reading a long answer is making
   * progress), no handler running. Bytes of an unfinished line do not count,
   * so a client dribbling bytes is dropped too. Fires 1 to 2 periods after the
   * last progress. 0 turns it off.
   * @defaultValue 0 (off)
   */
  idleTimeout?: number;
  /** Give up on a handler whose promise has not settled after this many ms: its signal is aborted, an error is reported, the next command is served. 0 turns it off. @defaultValue 0 (off) */
  handlerTimeout?: number;
  /** Bytes waiting to be written above which no further command is run (and, once `maxQueuedBytes` of commands wait, reading stops). An answer larger than the mark still goes out whole. @defaultValue 65536 */
  writeHighWaterMark?: number;
  /** Bytes received and not yet run as commands above which the server stops reading (raw bytes, no per-command overhead). @defaultValue 1048576 (1 MiB) */
  maxQueuedBytes?: number;
  /**
   * Serve TLS instead of plain TCP. `handshakeTimeout` (ms, default 10000) is a
   * hard deadline here: the peer's traffic does not extend it.
   * @defaultValue undefined (plain TCP)
   */
  tls?: OnelineServerTlsOptions;
  /**
   * TLS handshakes allowed in progress at once. Connections beyond it are
   * turned away before any TLS work, so silent or slow handshakes cannot
   * exhaust the server.
   * @defaultValue 16
   */
  maxPendingHandshakes?: number;
  /**
   * Connections being turned away (busy) that may be closing gracefully at
   * once (FIN, then at most 1 s to close); beyond it they are destroyed at once.
   * @defaultValue 64
   */
  maxRejecting?: number;
  /**
   * Drop a client that has not completed its first command (a full line)
   * within this many ms of taking the slot, so a silent connect cannot hold
   * the only slot. The original's client sends `ping` at once. 0 turns it off.
   * @defaultValue 10000
   */
  firstCommandTimeout?: number;
  /**
   * TCP keepalive on the served connection: probes start after this many ms
   * of silence, so a peer that vanished without a FIN or RST (power loss, a
   * dropped network) frees the slot. 0 turns it off.
   * @defaultValue 15000
   */
  keepAliveDelay?: number;
  /** A console- or pino-shaped logger. @defaultValue silent */
  logger?: Logger;
  /** Log to stderr through `console` when no logger is given (the original's `verbose`). @defaultValue false */
  verbose?: boolean;
  /**
   * While a connection closes (`disconnect`, `shutdown`, `close()`, idle
   * timeout, or the client's half-close with commands still running), how
   * many ms it may go without progress before it is destroyed: a client
   * still reading its answers keeps it open; a silent one, or a handler that
   * never settles, does not (its signal is aborted).
   * @defaultValue 2000
   */
  closeGrace?: number;
  /**
   * How long a write may wait on a peer that reads slowly before that counts
   * as no progress, in ms. The kernel reports a write done only once a large
   * part of the socket's send buffer (up to a few MB on Linux) has drained:
   * about every 8 s for a peer reading 200 KB/s. This keeps `closeGrace` and
   * `idleTimeout` from cutting off a client that is still reading. Limit: a
   * peer reading slower than about (send buffer / 3) per `drainTimeout`
   * (roughly 20 KB/s with 60 s and a 4 MB buffer) cannot be told from one
   * that stopped, and is cut off; raise this to serve slower readers. A
   * client that reads nothing at all is cut off after this long.
   * @defaultValue 60000
   */
  drainTimeout?: number;
}

