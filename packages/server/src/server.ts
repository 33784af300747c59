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
import { Lifecycle } from './lifecycle.js';
import { Admission, LogLimiter } from './admission.js';
import { isNamedPipe, prepareSocketPath, removeSocketPath, restrictSocketPath, withPrivateUmask } from './socket-path.js';
import { Connection, type ConnectionHost, type DisconnectReason } from './connection.js';
import { checkServerOptions, type OnelineServerOptions, type OnelineServerTlsOptions } from './options.js';

export type { OnelineServerOptions, OnelineServerTlsOptions } from './options.js';
import { serverChannels } from './diagnostics.js';
import type { ClientInfo } from './handler.js';
import {
  OnelineError,
  ServerSession,
  encodeLine,
  resolveDecoderOptions,
  resolveLogger,
  type Command,
  type Payload,
  type ResolvedLogger,
} from '@socket-oneline/protocol';

export type { DisconnectReason } from './connection.js';
export type { ClientInfo, CommandHandler, HandlerContext, HandlerResult, Reply } from './handler.js';

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

function closedWhileStarting(): OnelineError {
  return new OnelineError('ERR_ONELINE_SERVER_STATE', 'listen(): the server was closed while it was starting');
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function validateMs(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${name} must be a finite number of ms >= 0, got ${String(v)}`);
  }
  return v;
}

interface Resolved {
  host: string;
  port: number;
  path: string | undefined;
  mode: number;
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
  // The listener's lifecycle (lifecycle.ts): every change goes through its table.
  readonly #life = new Lifecycle();
  #current: Connection | undefined;
  // Every connection whose socket is not closed yet (serving or leaving).
  readonly #connections = new Set<Connection>();
  #resolveClosed!: () => void;
  #bound: net.AddressInfo | undefined;
  readonly #admission: Admission;
  readonly #tls: tls.Server | undefined;
  // Busy and TLS-failure logs, at most 10 a second each (a summary says how many were not logged).
  readonly #busyLog: LogLimiter;
  readonly #tlsLog: LogLimiter;
  // Counted once here rather than asking listenerCount() per command.
  #commandListeners = 0;

  /**
   * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option.
   */
  constructor(options: OnelineServerOptions) {
    super();
    checkServerOptions(options);
    if (typeof options.handler !== 'function') {
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
      path: options.path,
      mode: options.mode ?? 0o600,
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
    const tlsOptions = this.#opts.tls;
    const handshakeTimeout = validateMs('tls.handshakeTimeout', tlsOptions?.handshakeTimeout ?? 10_000);
    this.#admission = new Admission({
      rejectDeadline: 1000,
      maxRejecting: positiveInt('maxRejecting', options.maxRejecting ?? 64),
      maxPendingHandshakes: positiveInt('maxPendingHandshakes', options.maxPendingHandshakes ?? 16),
      handshakeTimeout: handshakeTimeout === 0 ? 10_000 : handshakeTimeout,
    });
    this.#busyLog = new LogLimiter(10, 1000, (n) => this.log.warn({ suppressed: n }, 'busy: more connections turned away (not logged one by one)'));
    this.#tlsLog = new LogLimiter(10, 1000, (n) => this.log.info({ suppressed: n }, 'TLS: more handshakes ended by the peer (not logged one by one)'));
    if (tlsOptions !== undefined) {
      // Client certificates are checked here on 'secureConnection' (so a
      // refusal is reported with its reason), not silently by the TLS layer.
      const checkClients = tlsOptions.requestCert === true && tlsOptions.rejectUnauthorized !== false;
      let t: tls.Server;
      try {
        t = tls.createServer({
          ...tlsOptions,
          handshakeTimeout: this.#admission.handshakeTimeout,
          rejectUnauthorized: false,
          allowHalfOpen: true,
          highWaterMark: hwm,
        } as tls.TlsOptions);
      } catch (err) {
        throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `tls: ${(err as Error).message}`, { cause: err });
      }
      t.on('secureConnection', (secure: tls.TLSSocket) => this.#onSecure(secure, checkClients));
      t.on('tlsClientError', (err: Error & { code?: string }) => this.#onTlsFailed(err));
      this.#tls = t;
      this.#admission.onPlainText = () =>
        this.#report(new OnelineError('ERR_ONELINE_TLS', 'TLS handshake with a client failed: the client spoke plain text on a TLS port (told so, then closed)', { origin: 'remote' }));
    }
    // Always a plain TCP server: TLS is started on accepted sockets here, so
    // connections turned away cost no TLS work (see admission.ts).
    this.#server = net.createServer({ allowHalfOpen: true, noDelay: true, highWaterMark: hwm }, (s) => this.#onConnection(s));
    this.#server.on('error', (err) => this.#report(new OnelineError('ERR_ONELINE_SOCKET', `server socket error: ${err.message}`, { cause: err })));
  }

  /** True while listening (from `listen()` until shutdown or `close()`). */
  get running(): boolean {
    return this.#life.state === 'listening';
  }

  /** The bound address, once listening. */
  get address(): net.AddressInfo | undefined {
    return this.#bound;
  }

  /** The bound port, once listening on TCP (useful with `port: 0`); undefined on a socket path. */
  get port(): number | undefined {
    return this.#opts.path === undefined ? this.#bound?.port : undefined;
  }

  /** The socket path (Unix socket file or named pipe), when listening on one. */
  get path(): string | undefined {
    return this.#opts.path;
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
  async listen(): Promise<net.AddressInfo> {
    if (this.#life.state !== 'new') {
      throw new OnelineError('ERR_ONELINE_SERVER_STATE', `listen() called on a server that is ${this.#life.state}`);
    }
    this.#life.go('listen');
    // A function, not a narrowed property read: close() may run during each await below.
    const starting = (): boolean => this.#life.state === 'starting';
    const { host, port, path, mode } = this.#opts;
    const where = path ?? `${host}:${port}`;
    let opened = false;
    try {
      if (path !== undefined) await prepareSocketPath(path);
      if (!starting()) throw closedWhileStarting();
      opened = true;
      await new Promise<void>((resolve, reject) => {
        const server = this.#server;
        const onError = (err: NodeJS.ErrnoException) => {
          server.off('listening', onListening);
          reject(
            err.code === 'EADDRINUSE'
              ? new OnelineError('ERR_ONELINE_ADDRESS_IN_USE', `cannot listen on ${where}: address already in use`, { cause: err })
              : new OnelineError('ERR_ONELINE_LISTEN_FAILED', `cannot listen on ${where}: ${err.message}`, { cause: err }),
          );
        };
        const onListening = () => {
          server.off('error', onError);
          resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        if (path === undefined) server.listen({ host, port, exclusive: true });
        else withPrivateUmask(() => server.listen({ path, exclusive: true }));
      });
      if (!starting()) throw closedWhileStarting();
      if (path !== undefined) restrictSocketPath(path, mode);
    } catch (err) {
      if (starting()) {
        this.#life.go('failed');
        this.#server.close(() => undefined);
        this.#resolveClosed();
      } else {
        // close() came while starting: close what was opened (if anything), then finish stopping.
        this.#closeListener(opened && this.#server.listening);
      }
      throw err;
    }
    this.#life.go('bound');
    const bound: net.AddressInfo =
      path === undefined ? (this.#server.address() as net.AddressInfo) : { address: path, family: isNamedPipe(path) ? 'pipe' : 'unix', port: 0 };
    this.#bound = bound;
    this.log.info(path === undefined ? { host: bound.address, port: bound.port, tls: this.#opts.tls !== undefined } : { path, tls: this.#opts.tls !== undefined }, 'listening');
    this.emit('listening', bound);
    return bound;
  }

  /**
   * Sends a line to the current client, outside of (or during) a handler, as
   * the original's `send()` did. It is written in order with the answers of
   * the command being handled.
   * @throws OnelineError `ERR_ONELINE_NOT_CONNECTED` with no client (or one that is leaving);
   *   `ERR_ONELINE_LF_IN_PAYLOAD` if the line contains LF; `ERR_ONELINE_INVALID_PAYLOAD` if it is not a line.
   */
  send(line: Payload): void {
    const c = this.#current;
    if (c === undefined) {
      // A bad line is reported first: it is the caller's bug either way.
      if (typeof line !== 'string' && !(line instanceof Uint8Array)) {
        throw new OnelineError('ERR_ONELINE_INVALID_PAYLOAD', `send(): a line must be a string or a Uint8Array, got ${line === null ? 'null' : typeof line}`);
      }
      encodeLine(line);
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
  close(options: { force?: boolean } = {}): Promise<void> {
    this.#stop('server-close');
    if (options.force === true) {
      // Forced: no waiting for handlers or slow readers; what was not written is lost.
      for (const c of this.#connections) c.destroy();
    }
    return this.closed;
  }

  /** `await using server = new OnelineServer(...)`: closes the server (gracefully) at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #makeHost(options: OnelineServerOptions): ConnectionHost {
    return {
      handler: options.handler,
      idleTimeout: validateMs('idleTimeout', options.idleTimeout ?? 0),
      handlerTimeout: validateMs('handlerTimeout', options.handlerTimeout ?? 0),
      closeGrace: validateMs('closeGrace', options.closeGrace ?? 2000),
      drainTimeout: validateMs('drainTimeout', options.drainTimeout ?? 60_000),
      firstCommandTimeout: validateMs('firstCommandTimeout', options.firstCommandTimeout ?? 10_000),
      keepAliveDelay: validateMs('keepAliveDelay', options.keepAliveDelay ?? 15_000),
      log: this.log,
      report: (err) => this.#report(err),
      command: (command, client) => {
        if (serverChannels.command.hasSubscribers) serverChannels.command.publish({ server: this, client, command });
        if (this.#commandListeners > 0) this.emit('command', command, client);
      },
      released: (conn, reason) => this.#released(conn, reason),
      gone: (conn) => {
        this.#connections.delete(conn);
        this.#released(conn, 'reset');
        this.#maybeStopped();
      },
      shutdown: () => this.#stop('shutdown'),
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
    const was = this.#life.state;
    const now = this.#life.go('stop');
    if (now === was) return; // stopping, draining or stopped already
    if (now === 'stopped') {
      this.#resolveClosed(); // never listened
      return;
    }
    this.log.info({ reason }, 'stopping');
    // While starting, listen() closes what it opened when its step ends.
    if (was === 'listening') this.#closeListener(true);
    this.#admission.closeAll();
    this.#busyLog.flush();
    this.#tlsLog.flush();
    this.#current?.close(reason);
  }

  /** Closes the listener (when one is open), removes the socket file, and finishes stopping. */
  #closeListener(open: boolean): void {
    const closed = (): void => {
      if (open && this.#opts.path !== undefined) removeSocketPath(this.#opts.path);
      this.#life.go('listener-closed');
      this.#maybeStopped();
    };
    if (open) this.#server.close(closed);
    else closed();
  }

  #maybeStopped(): void {
    if (this.#life.state !== 'draining' || this.#connections.size > 0) return;
    this.#life.go('drained');
    this.log.info({}, 'stopped');
    this.emit('close');
    this.#resolveClosed();
  }

  #busy(): boolean {
    return this.#current !== undefined || this.#life.state !== 'listening';
  }

  /** Turns a connection away (the slot is taken, or the server is stopping). */
  #turnAway(socket: net.Socket): void {
    const who = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0 };
    this.#admission.turnAway(socket);
    if (this.#busyLog.allow()) this.log.warn({ remote: `${who.remoteAddress}:${who.remotePort}` }, 'busy: connection turned away');
    if (serverChannels.busy.hasSubscribers) serverChannels.busy.publish({ server: this, ...who });
    this.emit('busy', who);
  }

  #onConnection(socket: net.Socket): void {
    if (this.#busy()) {
      this.#turnAway(socket);
      return;
    }
    const t = this.#tls;
    if (t === undefined) {
      this.#adopt(socket, false);
      return;
    }
    if (!this.#admission.handshakeRoom) {
      // Too many handshakes in progress: turned away before any TLS work.
      this.#turnAway(socket);
      return;
    }
    this.#admission.handshake(socket, t);
  }

  #onSecure(socket: tls.TLSSocket, checkClients: boolean): void {
    this.#admission.secured(socket);
    if (checkClients && !socket.authorized) {
      socket.on('error', () => undefined);
      socket.destroy();
      const why = socket.authorizationError;
      this.#report(
        new OnelineError('ERR_ONELINE_TLS', `TLS handshake with a client failed: client certificate refused (${why instanceof Error ? why.message : String(why)})`, { origin: 'remote' }),
      );
      return;
    }
    // Two handshakes may race: the first to finish gets the slot.
    if (this.#busy()) this.#turnAway(socket);
    else this.#adopt(socket, true);
  }

  #onTlsFailed(err: Error & { code?: string }): void {
    const code = err.code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT') {
      // The peer left or stayed silent: its business, not a server error.
      if (this.#tlsLog.allow()) this.log.info({ code }, `TLS handshake not completed: ${err.message}`);
      return;
    }
    this.#report(new OnelineError('ERR_ONELINE_TLS', `TLS handshake with a client failed: ${err.message}`, { cause: err, origin: 'remote' }));
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
