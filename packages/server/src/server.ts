/**
 * `OnelineServer`: a one-client line server on node:net or node:tls.
 *
 * Theory of operation: where things live.
 * - Ordering, flow control and closing: in the pure `ServerSession`
 *   (`@socket-oneline/protocol`), one per connection. It decides which
 *   command runs next, stops starting commands while the bytes waiting to be
 *   written exceed `writeHighWaterMark`, and ends the connection only after
 *   every answer produced was handed to the kernel. Its transition table is
 *   the single source of truth for a connection's lifecycle.
 * - Moving bytes, running handlers and timers: `Connection` (connection.ts),
 *   a thin shell that feeds the session what it reads, writes what the
 *   session hands out, and counts time without progress.
 * - Admission and the listening socket: this file. One client holds the
 *   slot; any other connection is closed at once, without data.
 * Nothing polls or sleeps.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { Connection, type ConnectionHost, type DisconnectReason } from './connection.js';
import { serverChannels } from './diagnostics.js';
import type { ClientInfo, CommandHandler } from './handler.js';
import {
  OnelineError,
  ServerSession,
  encodeLine,
  resolveDecoderOptions,
  resolveLogger,
  type Command,
  type Logger,
  type Payload,
  type ResolvedLogger,
} from '@socket-oneline/protocol';

export type { DisconnectReason } from './connection.js';
export type { ClientInfo, CommandHandler, HandlerContext, HandlerResult, Reply } from './handler.js';

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
  /** Maximum command length in bytes (before the LF). Longer lines reach the handler flagged `too-long`. @defaultValue {@link DEFAULT_MAX_LINE_LENGTH} */
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
  /** Bytes of received commands waiting to run above which the server stops reading (each command counts its length + 64). @defaultValue 1048576 (1 MiB) */
  maxQueuedBytes?: number;
  /** Serve TLS instead of plain TCP. A `handshakeTimeout` of 10 s applies unless given here. @defaultValue undefined (plain TCP) */
  tls?: OnelineServerTlsOptions;
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
}

/** Events of {@link OnelineServer} (typed listener signatures). */
export interface OnelineServerEvents {
  /** Bound and accepting. */
  listening: [address: net.AddressInfo];
  /** A client took the slot. */
  connect: [client: ClientInfo];
  /** The client left the slot (it may still be receiving its last answers); the slot is free. */
  disconnect: [client: ClientInfo, reason: DisconnectReason];
  /** A command is about to reach the handler. */
  command: [command: Command, client: ClientInfo];
  /** A connection was turned away because another client holds the slot. */
  busy: [rejected: { remoteAddress: string; remotePort: number }];
  /**
   * A handler failure, socket error or TLS failure. The server keeps serving;
   * unlike most emitters, having no listener never throws (errors are logged).
   */
  error: [error: OnelineError];
  /** Stopped listening, and no client is left. */
  close: [];
}

type State = 'new' | 'listening' | 'stopping' | 'stopped';

function validateMs(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${name} must be a finite number of ms >= 0, got ${String(v)}`);
  }
  return v;
}

interface Resolved {
  host: string;
  port: number;
  maxLineLength: number;
  stripCR: boolean;
  writeHighWaterMark: number;
  maxQueuedBytes: number;
  tls: OnelineServerTlsOptions | undefined;
}

/**
 * A line server that serves one client at a time.
 *
 * @example
 * ```ts
 * const server = new OnelineServer({
 *   handler: (cmd) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd'),
 * });
 * const { port } = await server.listen();
 * await server.closed; // resolves after a client sends `shutdown` or server.close()
 * ```
 */
export class OnelineServer extends EventEmitter<OnelineServerEvents> {
  /** The logger in use (silent by default). */
  readonly log: ResolvedLogger;
  /** Resolves once the server has stopped: after a `shutdown` command or {@link close}. Never rejects. */
  readonly closed: Promise<void>;
  readonly #opts: Resolved;
  readonly #host: ConnectionHost;
  readonly #server: net.Server;
  #state: State = 'new';
  #current: Connection | undefined;
  // Every connection whose socket is not closed yet (serving or leaving).
  readonly #connections = new Set<Connection>();
  #resolveClosed!: () => void;
  #bound: net.AddressInfo | undefined;
  #listenerClosed = false;
  // Connections turned away as busy, until their close completes.
  readonly #rejected = new Set<net.Socket>();
  // TLS sockets between TCP accept and the end of their handshake.
  readonly #handshaking = new Map<string, net.Socket>();
  // Counted once here rather than asking listenerCount() per command.
  #commandListeners = 0;

  /**
   * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option.
   */
  constructor(options: OnelineServerOptions) {
    super();
    if (typeof options?.handler !== 'function') {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'handler must be a function (command, reply, context) => ...');
    }
    const { maxLineLength, stripCR } = resolveDecoderOptions(options);
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `port must be an integer 0..65535, got ${String(port)}`);
    }
    // The session validates the byte budgets; build one now so a bad value throws here.
    const probe = new ServerSession({
      maxLineLength,
      stripCR,
      writeHighWaterMark: options.writeHighWaterMark,
      maxQueuedBytes: options.maxQueuedBytes,
    });
    this.#opts = {
      host: options.host ?? '127.0.0.1',
      port,
      maxLineLength,
      stripCR,
      writeHighWaterMark: probe.writeHighWaterMark,
      maxQueuedBytes: probe.maxQueuedBytes,
      tls: options.tls,
    };
    this.log = resolveLogger(options.logger, options.verbose, 'oneline-server', console);
    this.#host = this.#makeHost(options);
    const untyped = this as EventEmitter;
    untyped.on('newListener', (event: string | symbol) => {
      if (event === 'command') this.#commandListeners++;
    });
    untyped.on('removeListener', (event: string | symbol) => {
      if (event === 'command') this.#commandListeners--;
    });
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    const hwm = this.#opts.writeHighWaterMark;
    if (this.#opts.tls !== undefined) {
      const t = tls.createServer({
        handshakeTimeout: 10_000,
        ...this.#opts.tls,
        allowHalfOpen: true,
        highWaterMark: hwm,
      } as tls.TlsOptions);
      // TCP-level accept: turn away extra clients before any TLS work.
      t.on('connection', (raw: net.Socket) => this.#onRawConnection(raw));
      t.on('secureConnection', (s: tls.TLSSocket) => this.#onSecure(s));
      t.on('tlsClientError', (err: Error, s: tls.TLSSocket) => this.#onTlsError(err, s));
      this.#server = t;
    } else {
      this.#server = net.createServer({ allowHalfOpen: true, noDelay: true, highWaterMark: hwm }, (s) => this.#onPlain(s));
    }
    this.#server.on('error', (err) => this.#report(new OnelineError('ERR_ONELINE_SOCKET', `server socket error: ${err.message}`, { cause: err })));
  }

  /** True while listening (from `listen()` until shutdown or `close()`). */
  get running(): boolean {
    return this.#state === 'listening';
  }

  /** The bound address, once listening. */
  get address(): net.AddressInfo | undefined {
    return this.#bound;
  }

  /** The bound port, once listening (useful with `port: 0`). */
  get port(): number | undefined {
    return this.#bound?.port;
  }

  /** True while a client holds the slot. */
  get hasClient(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Starts listening. Resolves with the bound address.
   * @throws OnelineError `ERR_ONELINE_ADDRESS_IN_USE` (EADDRINUSE), `ERR_ONELINE_LISTEN_FAILED`
   *   (other listen errors), `ERR_ONELINE_SERVER_STATE` if called twice. On failure nothing stays open.
   */
  listen(): Promise<net.AddressInfo> {
    if (this.#state !== 'new') {
      return Promise.reject(new OnelineError('ERR_ONELINE_SERVER_STATE', `listen() called on a server that is ${this.#state}`));
    }
    this.#state = 'listening';
    const server = this.#server;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        this.#state = 'stopped';
        server.close(() => undefined);
        this.#resolveClosed();
        const where = `${this.#opts.host}:${this.#opts.port}`;
        reject(
          err.code === 'EADDRINUSE'
            ? new OnelineError('ERR_ONELINE_ADDRESS_IN_USE', `cannot listen on ${where}: address already in use`, { cause: err })
            : new OnelineError('ERR_ONELINE_LISTEN_FAILED', `cannot listen on ${where}: ${err.message}`, { cause: err }),
        );
      };
      const onListening = () => {
        server.off('error', onError);
        this.#bound = server.address() as net.AddressInfo;
        this.log.info({ host: this.#bound.address, port: this.#bound.port, tls: this.#opts.tls !== undefined }, 'listening');
        this.emit('listening', this.#bound);
        resolve(this.#bound);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ host: this.#opts.host, port: this.#opts.port, exclusive: true });
    });
  }

  /**
   * Sends a line to the current client, outside of (or during) a handler, as
   * the original's `send()` did. It is written in order with the answers of
   * the command being handled.
   * @throws OnelineError `ERR_ONELINE_NOT_CONNECTED` with no client (or one that is leaving);
   *   `ERR_ONELINE_LF_IN_PAYLOAD` if the line contains LF.
   */
  send(line: Payload): void {
    const c = this.#current;
    if (c === undefined) {
      encodeLine(line); // a LF is reported first: it is the caller's bug either way
      throw new OnelineError('ERR_ONELINE_NOT_CONNECTED', 'send(): no client is connected');
    }
    c.answer(line);
  }

  /**
   * Stops gracefully: stops accepting, lets a running handler finish, writes
   * every answer already produced, closes the client, and resolves when all
   * is closed. A client or handler that makes no progress for `closeGrace`
   * ms is cut off (the handler's signal is aborted), so this always resolves.
   * Safe to call more than once.
   */
  close(): Promise<void> {
    this.#stop('server-close');
    return this.closed;
  }

  #makeHost(options: OnelineServerOptions): ConnectionHost {
    const server = this;
    return {
      handler: options.handler,
      idleTimeout: validateMs('idleTimeout', options.idleTimeout ?? 0),
      handlerTimeout: validateMs('handlerTimeout', options.handlerTimeout ?? 0),
      closeGrace: validateMs('closeGrace', options.closeGrace ?? 2000),
      log: this.log,
      report: (err) => server.#report(err),
      command: (command, client) => {
        if (serverChannels.command.hasSubscribers) serverChannels.command.publish({ server, client, command });
        if (server.#commandListeners > 0) server.emit('command', command, client);
      },
      released: (conn, reason) => server.#released(conn, reason),
      gone: (conn) => {
        server.#connections.delete(conn);
        server.#released(conn, 'reset');
        server.#maybeStopped();
      },
      shutdown: () => server.#stop('shutdown'),
    };
  }

  /** Reports an error: logged, and emitted if anyone listens. */
  #report(err: OnelineError): void {
    this.log.error({ code: err.code }, err.message);
    if (serverChannels.error.hasSubscribers) serverChannels.error.publish({ server: this, error: err });
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** The connection gave up the slot (it may still be writing its last answers). */
  #released(conn: Connection, reason: DisconnectReason): void {
    if (this.#current !== conn) return;
    this.#current = undefined;
    this.log.info({ remote: `${conn.info.remoteAddress}:${conn.info.remotePort}`, reason }, 'client left');
    if (serverChannels.disconnect.hasSubscribers) serverChannels.disconnect.publish({ server: this, client: conn.info, reason });
    this.emit('disconnect', conn.info, reason);
  }

  /** A `shutdown` command or close(): stop listening and end the client. */
  #stop(reason: DisconnectReason): void {
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    if (this.#state === 'new') {
      this.#state = 'stopped';
      this.#resolveClosed();
      return;
    }
    this.#state = 'stopping';
    this.log.info({ reason }, 'stopping');
    this.#server.close(() => {
      this.#listenerClosed = true;
      this.#maybeStopped();
    });
    for (const raw of this.#handshaking.values()) raw.destroy();
    this.#handshaking.clear();
    for (const r of this.#rejected) r.destroy();
    this.#current?.close(reason);
  }

  #maybeStopped(): void {
    if (this.#state !== 'stopping' || !this.#listenerClosed || this.#connections.size > 0) return;
    this.#state = 'stopped';
    this.log.info({}, 'stopped');
    this.emit('close');
    this.#resolveClosed();
  }

  #busy(socket: net.Socket, rawTls = false): boolean {
    if (this.#current === undefined && this.#state === 'listening') return false;
    const who = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0 };
    this.log.warn({ remote: `${who.remoteAddress}:${who.remotePort}` }, 'busy: connection turned away');
    socket.on('error', () => undefined);
    if (rawTls) {
      // Before any TLS work: the TLS layer owns this socket's events, so it
      // is simply closed (the client's handshake fails at once).
      socket.destroy();
      this.#announceBusy(who);
      return true;
    }
    // Closed at once, without data: the client's handshake fails fast. End
    // with a FIN and drain what the client already sent (its `ping`): closing
    // with unread bytes would send a reset, which clients report less clearly.
    this.#rejected.add(socket);
    socket.once('close', () => this.#rejected.delete(socket));
    socket.end();
    socket.resume();
    socket.setTimeout(1000, () => socket.destroy());
    this.#announceBusy(who);
    return true;
  }

  #announceBusy(who: { remoteAddress: string; remotePort: number }): void {
    if (serverChannels.busy.hasSubscribers) serverChannels.busy.publish({ server: this, ...who });
    this.emit('busy', who);
  }

  #onPlain(socket: net.Socket): void {
    if (this.#busy(socket)) return;
    this.#adopt(socket, false);
  }

  #onRawConnection(raw: net.Socket): void {
    if (this.#busy(raw, true)) return;
    // The slot is taken when the handshake completes; until then the socket is
    // tracked so close() can end it (a failed peer may never finish it).
    this.#handshaking.set(`${raw.remoteAddress}:${raw.remotePort}`, raw);
  }

  #onSecure(socket: tls.TLSSocket): void {
    this.#handshaking.delete(`${socket.remoteAddress}:${socket.remotePort}`);
    // Two handshakes may race: the first to finish gets the slot.
    if (this.#busy(socket)) return;
    this.#adopt(socket, true);
  }

  #onTlsError(err: Error, socket: tls.TLSSocket): void {
    this.#handshaking.delete(`${socket.remoteAddress}:${socket.remotePort}`);
    this.#report(new OnelineError('ERR_ONELINE_SOCKET', `TLS handshake with a client failed: ${err.message}`, { cause: err, origin: 'remote' }));
    socket.destroy();
  }

  #adopt(socket: net.Socket, isTls: boolean): void {
    const o = this.#opts;
    const session = new ServerSession({
      maxLineLength: o.maxLineLength,
      stripCR: o.stripCR,
      writeHighWaterMark: o.writeHighWaterMark,
      maxQueuedBytes: o.maxQueuedBytes,
    });
    const conn = new Connection(this.#host, socket, session, isTls);
    this.#current = conn;
    this.#connections.add(conn);
    this.log.info({ remote: `${conn.info.remoteAddress}:${conn.info.remotePort}`, tls: isTls }, 'client connected');
    if (serverChannels.connect.hasSubscribers) serverChannels.connect.publish({ server: this, client: conn.info });
    this.emit('connect', conn.info);
    conn.start();
  }
}
