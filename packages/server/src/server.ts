/**
 * `OnelineServer`: a one-client line server on node:net or node:tls.
 *
 * Theory of operation: the protocol logic lives in `ServerSession` (pure).
 * This shell accepts sockets, keeps at most one client (any other connection
 * is closed at once, without data), feeds bytes to the session and carries
 * out its actions strictly in order through a small executor: built-in
 * replies are written, user commands go to the handler (awaited if it
 * returns a promise), `disconnect`/`shutdown` flush and close. Reading pauses
 * while the executor waits on a handler or the socket's write buffer is over
 * `writeHighWaterMark`, so a client that sends but never reads cannot make
 * the server buffer without bound. Nothing polls or sleeps.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { serverChannels } from './diagnostics.js';
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
  type ReplyAction,
  type ServerAction,
  type ServerActionSink,
} from '@socket-oneline/protocol';

/** What a handler may return: nothing, one line, or several lines, each sent with LF. */
export type HandlerResult = void | undefined | null | Payload | readonly Payload[];

/** Sends one response line to the client of the command being handled. */
export type Reply = (line: Payload) => void;

/**
 * The user's command handler. Gets every command that is not a built-in, in
 * arrival order, including invalid ones (`command.invalid`, `command.reason`).
 * Answer by returning lines, by calling `reply`, or both (replies first). If
 * it returns a promise the next command waits for it.
 */
export type CommandHandler = (command: Command, reply: Reply) => HandlerResult | Promise<HandlerResult>;

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
  /** The command handler (required). */
  handler: CommandHandler;
  /** Address to listen on. Listening on all interfaces (`0.0.0.0`, `::`) is an explicit choice. @defaultValue `'127.0.0.1'` */
  host?: string;
  /** Port; 0 picks a free one (read it from {@link OnelineServer.port}). @defaultValue 0 */
  port?: number;
  /** Maximum command length in bytes (before the LF). Longer lines reach the handler flagged `too-long`. @defaultValue 65536 */
  maxLineLength?: number;
  /** Strip one CR before the LF. @defaultValue true */
  stripCR?: boolean;
  /** Drop a client that has not completed a command for this many ms (bytes of an unfinished line do not count, so a client dribbling bytes is dropped too); 0 turns it off. @defaultValue 0 (off) */
  idleTimeout?: number;
  /** Give up on a handler whose promise has not settled after this many ms (reported as an error; the next command is served); 0 turns it off. @defaultValue 0 (off) */
  handlerTimeout?: number;
  /** Stop reading from the client while more than this many bytes wait to be written. @defaultValue 65536 */
  writeHighWaterMark?: number;
  /** Serve TLS instead of plain TCP. A `handshakeTimeout` of 10 s applies unless given here. @defaultValue undefined (plain TCP) */
  tls?: OnelineServerTlsOptions;
  /** A console- or pino-shaped logger. @defaultValue silent */
  logger?: Logger;
  /** Log to stderr through `console` when no logger is given (the original's `verbose`). @defaultValue false */
  verbose?: boolean;
  /** After `disconnect`/`shutdown`, how long a client may keep its side open before it is destroyed, in ms. @defaultValue 2000 */
  closeGrace?: number;
}

/** Why a client left. */
export type DisconnectReason =
  | 'disconnect'
  | 'shutdown'
  | 'client-closed'
  | 'reset'
  | 'idle-timeout'
  | 'server-close';

/** Information about a client connection. */
export interface ClientInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True when the connection is TLS. */
  readonly tls: boolean;
}

/** Events of {@link OnelineServer} (typed listener signatures). */
export interface OnelineServerEvents {
  /** Bound and accepting. */
  listening: [address: net.AddressInfo];
  /** A client took the slot. */
  connect: [client: ClientInfo];
  /** The client left; the slot is free. */
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

function toHandlerError(err: unknown, what: string): OnelineError {
  const msg = err instanceof Error ? err.message : String(err);
  return new OnelineError('ERR_ONELINE_HANDLER_FAILED', `command handler ${what}: ${msg}`, { cause: err });
}

function isThenable(v: unknown): v is PromiseLike<HandlerResult> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
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
  private readonly opts: Required<Omit<OnelineServerOptions, 'tls' | 'logger' | 'verbose'>> & {
    tls: OnelineServerTlsOptions | undefined;
  };
  /** The logger in use (silent by default). */
  readonly log: ResolvedLogger;
  private readonly server: net.Server;
  private state: State = 'new';
  private current: Connection | undefined;
  // Connections that left the slot but are still flushing or closing.
  private readonly leaving = new Set<Connection>();
  private resolveClosed!: () => void;
  /** Resolves once the server has stopped: after a `shutdown` command or {@link close}. Never rejects. */
  readonly closed: Promise<void>;
  private bound: net.AddressInfo | undefined;
  // Connections turned away as busy, until their close completes.
  private readonly rejected = new Set<net.Socket>();
  // TLS sockets between TCP accept and the end of their handshake.
  private readonly handshaking = new Map<string, net.Socket>();

  /**
   * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option.
   */
  constructor(options: OnelineServerOptions) {
    super();
    if (typeof options?.handler !== 'function') {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'handler must be a function (command, reply) => ...');
    }
    const { maxLineLength, stripCR } = resolveDecoderOptions(options);
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `port must be an integer 0..65535, got ${String(port)}`);
    }
    const hwm = options.writeHighWaterMark ?? 64 * 1024;
    if (!Number.isSafeInteger(hwm) || hwm < 1) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `writeHighWaterMark must be a positive integer, got ${String(hwm)}`);
    }
    this.opts = {
      handler: options.handler,
      host: options.host ?? '127.0.0.1',
      port,
      maxLineLength,
      stripCR,
      idleTimeout: validateMs('idleTimeout', options.idleTimeout ?? 0),
      handlerTimeout: validateMs('handlerTimeout', options.handlerTimeout ?? 0),
      writeHighWaterMark: hwm,
      closeGrace: validateMs('closeGrace', options.closeGrace ?? 2000),
      tls: options.tls,
    };
    this.log = resolveLogger(options.logger, options.verbose, 'oneline-server', console);
    const untyped = this as EventEmitter;
    untyped.on('newListener', (event: string | symbol) => {
      if (event === 'command') this.commandListeners++;
    });
    untyped.on('removeListener', (event: string | symbol) => {
      if (event === 'command') this.commandListeners--;
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    if (this.opts.tls !== undefined) {
      const t = tls.createServer({
        handshakeTimeout: 10_000,
        ...this.opts.tls,
        allowHalfOpen: true,
        highWaterMark: hwm,
      } as tls.TlsOptions);
      // TCP-level accept: turn away extra clients before any TLS work.
      t.on('connection', (raw: net.Socket) => this.onRawConnection(raw));
      t.on('secureConnection', (s: tls.TLSSocket) => this.onSecure(s));
      t.on('tlsClientError', (err: Error, s: tls.TLSSocket) => this.onTlsError(err, s));
      this.server = t;
    } else {
      // highWaterMark sets each socket's write buffer mark: past it write()
      // returns false, we pause reading, and 'drain' resumes us.
      this.server = net.createServer({ allowHalfOpen: true, noDelay: true, highWaterMark: hwm }, (s) => this.onPlain(s));
    }
    this.server.on('error', (err) => this.report(new OnelineError('ERR_ONELINE_SOCKET', `server socket error: ${err.message}`, { cause: err })));
  }

  /** True while listening (from `listen()` until shutdown or `close()`). */
  get running(): boolean {
    return this.state === 'listening';
  }

  /** The bound address, once listening. */
  get address(): net.AddressInfo | undefined {
    return this.bound;
  }

  /** The bound port, once listening (useful with `port: 0`). */
  get port(): number | undefined {
    return this.bound?.port;
  }

  /** True while a client holds the slot. */
  get hasClient(): boolean {
    return this.current !== undefined;
  }

  /**
   * Starts listening. Resolves with the bound address.
   * @throws OnelineError `ERR_ONELINE_ADDRESS_IN_USE` (EADDRINUSE), `ERR_ONELINE_LISTEN_FAILED`
   *   (other listen errors), `ERR_ONELINE_SERVER_STATE` if called twice. On failure nothing stays open.
   */
  listen(): Promise<net.AddressInfo> {
    if (this.state !== 'new') {
      return Promise.reject(new OnelineError('ERR_ONELINE_SERVER_STATE', `listen() called on a server that is ${this.state}`));
    }
    this.state = 'listening';
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        this.state = 'stopped';
        this.server.close(() => undefined);
        this.resolveClosed();
        const where = `${this.opts.host}:${this.opts.port}`;
        reject(
          err.code === 'EADDRINUSE'
            ? new OnelineError('ERR_ONELINE_ADDRESS_IN_USE', `cannot listen on ${where}: address already in use`, { cause: err })
            : new OnelineError('ERR_ONELINE_LISTEN_FAILED', `cannot listen on ${where}: ${err.message}`, { cause: err }),
        );
      };
      const onListening = () => {
        this.server.off('error', onError);
        this.bound = this.server.address() as net.AddressInfo;
        this.log.info({ host: this.bound.address, port: this.bound.port, tls: this.opts.tls !== undefined }, 'listening');
        this.emit('listening', this.bound);
        resolve(this.bound);
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen({ host: this.opts.host, port: this.opts.port, exclusive: true });
    });
  }

  /**
   * Sends a line to the current client, outside of (or during) a handler, as
   * the original's `send()` did.
   * @throws OnelineError `ERR_ONELINE_NOT_CONNECTED` with no client;
   *   `ERR_ONELINE_LF_IN_PAYLOAD` if the line contains LF.
   */
  send(line: Payload): void {
    const c = this.current;
    if (c === undefined || !c.writable) {
      encodeLine(line); // a LF is reported first: it is the caller's bug either way
      throw new OnelineError('ERR_ONELINE_NOT_CONNECTED', 'send(): no client is connected');
    }
    c.sendLine(line);
  }

  /**
   * Stops gracefully: stops accepting, lets a running handler finish, flushes
   * what was produced, closes the client, and resolves when all is closed.
   * Safe to call more than once.
   */
  close(): Promise<void> {
    this.stop('server-close');
    return this.closed;
  }

  // ---- internals used by Connection ----

  /** @internal */
  get options(): OnelineServer['opts'] {
    return this.opts;
  }

  /** @internal Reports an error: logged, and emitted if anyone listens. */
  report(err: OnelineError): void {
    this.log.error({ code: err.code }, err.message);
    if (serverChannels.error.hasSubscribers) serverChannels.error.publish({ server: this, error: err });
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** @internal The connection gave up the slot (it may still be flushing). */
  released(conn: Connection, reason: DisconnectReason): void {
    if (this.current === conn) this.current = undefined;
    this.log.info({ remote: `${conn.info.remoteAddress}:${conn.info.remotePort}`, reason }, 'client left');
    if (serverChannels.disconnect.hasSubscribers) serverChannels.disconnect.publish({ server: this, client: conn.info, reason });
    this.emit('disconnect', conn.info, reason);
  }

  /** @internal The connection's socket is fully closed. */
  gone(conn: Connection): void {
    this.leaving.delete(conn);
    if (this.current === conn) this.current = undefined;
    this.maybeStopped();
  }

  /** @internal Track a connection until its socket closes. */
  track(conn: Connection): void {
    this.leaving.add(conn);
  }

  /** @internal A `shutdown` command or close(): stop listening and end the client. */
  stop(reason: DisconnectReason): void {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    if (this.state === 'new') {
      this.state = 'stopped';
      this.resolveClosed();
      return;
    }
    this.state = 'stopping';
    this.log.info({ reason }, 'stopping');
    this.server.close(() => {
      this.serverClosed = true;
      this.maybeStopped();
    });
    for (const raw of this.handshaking.values()) raw.destroy();
    this.handshaking.clear();
    for (const r of this.rejected) r.destroy();
    this.current?.end(reason);
  }

  private serverClosed = false;

  private maybeStopped(): void {
    if (this.state !== 'stopping' || !this.serverClosed || this.leaving.size > 0 || this.current !== undefined) return;
    this.state = 'stopped';
    this.log.info({}, 'stopped');
    this.emit('close');
    this.resolveClosed();
  }

  private busy(socket: net.Socket, rawTls = false): boolean {
    if (this.current === undefined && this.state === 'listening') return false;
    const who = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0 };
    this.log.warn({ remote: `${who.remoteAddress}:${who.remotePort}` }, 'busy: connection turned away');
    socket.on('error', () => undefined);
    if (rawTls) {
      // Before any TLS work: the TLS layer owns this socket's events, so it
      // is simply closed (the client's handshake fails at once).
      socket.destroy();
      this.announceBusy(who);
      return true;
    }
    // Closed at once, without data: the client's handshake fails fast. End
    // with a FIN and drain what the client already sent (its `ping`): closing
    // with unread bytes would send a reset, which clients report less clearly.
    this.rejected.add(socket);
    socket.once('close', () => this.rejected.delete(socket));
    socket.end();
    socket.resume();
    socket.setTimeout(1000, () => socket.destroy());
    this.announceBusy(who);
    return true;
  }

  private announceBusy(who: { remoteAddress: string; remotePort: number }): void {
    if (serverChannels.busy.hasSubscribers) serverChannels.busy.publish({ server: this, ...who });
    this.emit('busy', who);
  }

  private onPlain(socket: net.Socket): void {
    if (this.busy(socket)) return;
    this.adopt(socket, false);
  }

  private onRawConnection(raw: net.Socket): void {
    if (this.busy(raw, true)) return;
    // The slot is taken when the handshake completes; until then the socket is
    // tracked so close() can end it (a failed peer may never finish it).
    this.handshaking.set(`${raw.remoteAddress}:${raw.remotePort}`, raw);
  }

  private onSecure(socket: tls.TLSSocket): void {
    this.handshaking.delete(`${socket.remoteAddress}:${socket.remotePort}`);
    // Two handshakes may race: the first to finish gets the slot.
    if (this.busy(socket)) return;
    this.adopt(socket, true);
  }

  private onTlsError(err: Error, socket: tls.TLSSocket): void {
    this.handshaking.delete(`${socket.remoteAddress}:${socket.remotePort}`);
    this.report(new OnelineError('ERR_ONELINE_SOCKET', `TLS handshake with a client failed: ${err.message}`, { cause: err, origin: 'remote' }));
    socket.destroy();
  }

  private adopt(socket: net.Socket, isTls: boolean): void {
    const conn = new Connection(this, socket, isTls);
    this.current = conn;
    this.track(conn);
    this.log.info({ remote: `${conn.info.remoteAddress}:${conn.info.remotePort}`, tls: isTls }, 'client connected');
    if (serverChannels.connect.hasSubscribers) serverChannels.connect.publish({ server: this, client: conn.info });
    this.emit('connect', conn.info);
    conn.start();
  }

  /** @internal */
  emitCommand(command: Command, conn: Connection): void {
    if (serverChannels.command.hasSubscribers) serverChannels.command.publish({ server: this, client: conn.info, command });
    if (this.commandListeners > 0) this.emit('command', command, conn.info);
  }

  // Counted once here rather than asking listenerCount() per command.
  private commandListeners = 0;
}

/** One client connection: the socket, its session and the in-order executor. */
class Connection implements ServerActionSink {
  readonly info: ClientInfo;
  private readonly session: ServerSession;
  private queue: ServerAction[] = [];
  private head = 0;
  private running = false;
  private waiting = false; // on a handler's promise
  private ended = false; // we called socket.end()
  private released = false;
  private generation = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private handlerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: OnelineServer,
    private readonly socket: net.Socket,
    isTls: boolean,
  ) {
    this.info = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, tls: isTls };
    const o = server.options;
    this.session = new ServerSession({ maxLineLength: o.maxLineLength, stripCR: o.stripCR });
  }

  get writable(): boolean {
    return !this.ended && !this.socket.destroyed;
  }

  start(): void {
    const s = this.socket;
    const o = this.server.options;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('end', () => this.onEnd());
    s.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    s.on('close', () => this.onSocketClose());
    s.on('drain', () => this.maybeResume());
    if (o.idleTimeout > 0) {
      // Our own timer rather than socket.setTimeout: only complete commands
      // count as activity, so a client dribbling bytes (slowloris) is dropped too.
      this.idleTimer = setTimeout(() => this.onIdle(), o.idleTimeout);
    }
  }

  private idleTimer: NodeJS.Timeout | undefined;
  private active = false; // a complete line arrived since the idle timer was armed

  private onIdle(): void {
    const ms = this.server.options.idleTimeout;
    if (this.active || this.waiting) {
      // Busy on our side, or the client was active: arm again.
      this.active = false;
      this.idleTimer?.refresh();
      return;
    }
    this.server.log.info({ ms }, 'idle timeout: no complete command');
    this.release('idle-timeout');
    if (this.session.state === 'serving') this.session.close();
    this.destroyNow();
  }

  // Text answers are gathered here and written once per executor run: one
  // write for a whole pipelined chunk instead of one per response.
  private out = '';

  /**
   * Queues one response line (LF added).
   * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD`.
   */
  appendLine(line: Payload): void {
    if (typeof line === 'string') {
      if (line.indexOf('\n') !== -1) encodeLine(line); // throws the typed error
      this.out += `${line}\n`;
    } else {
      const data = encodeLine(line);
      this.flush();
      if (this.writable) this.socket.write(data);
    }
  }

  /** Sends a line now (server.send outside a handler) or with the current run. */
  sendLine(line: Payload): void {
    this.appendLine(line);
    if (!this.running) this.flush();
  }

  private flush(): void {
    if (this.out === '') return;
    const out = this.out;
    this.out = '';
    if (this.writable) this.socket.write(out);
  }

  /** Ends the connection on the server's initiative (close(), shutdown). */
  end(reason: DisconnectReason): void {
    if (this.session.state === 'serving') this.session.close();
    // A running handler finishes first; the executor then finds the queue empty.
    this.queue.length = 0;
    this.head = 0;
    this.release(reason);
    if (!this.running) this.finish();
    else this.pendingFinish = true;
  }

  private pendingFinish = false;

  private onData(chunk: Buffer): void {
    if (this.session.state !== 'serving') return; // after disconnect: discard
    this.running = true;
    this.session.receiveTo(chunk, this); // calls onCommand/onReply/onClose below
    if (!this.waiting) this.settle();
  }

  // ---- ServerActionSink: the session hands over each action as it decodes.
  // While a handler's promise is pending, actions wait in the queue (only
  // then are action objects allocated); otherwise they run at once.

  /** @internal */
  onCommand(command: Command): void {
    this.active = true;
    if (this.waiting) {
      this.queue.push({ type: 'command', command });
      return;
    }
    if (this.ended) return;
    if (this.runCommand(command)) this.wait();
  }

  /** @internal */
  onReply(reply: ReplyAction): void {
    this.active = true;
    if (this.waiting) this.queue.push(reply);
    else this.out += `${reply.text}\n`;
  }

  /** @internal */
  onClose(kind: 'disconnect' | 'shutdown'): void {
    if (this.waiting) this.queue.push({ type: kind });
    else this.closeFor(kind);
  }

  private closeFor(kind: 'disconnect' | 'shutdown'): void {
    this.queue.length = 0;
    this.head = 0;
    this.release(kind);
    this.finish();
    if (kind === 'shutdown') this.server.stop('shutdown');
  }

  /** A handler went async: stop reading, send what is ready, wait for it. */
  private wait(): void {
    this.waiting = true;
    this.pause();
    this.flush(); // the client gets earlier answers while the handler works
  }

  /** Runs queued actions after a handler settled, until empty or async again. */
  private drain(): void {
    const q = this.queue;
    while (this.head < q.length) {
      const a = q[this.head++]!;
      if (a.type === 'command') {
        if (!this.ended && this.runCommand(a.command)) {
          this.wait();
          return;
        }
      } else if (a.type === 'reply') {
        this.out += `${a.text}\n`;
      } else if (a.type === 'disconnect' || a.type === 'shutdown') {
        this.closeFor(a.type);
        break;
      }
    }
    this.settle();
  }

  /** Nothing is pending: flush and apply backpressure, or finish after EOF or close(). */
  private settle(): void {
    this.queue.length = 0;
    this.head = 0;
    this.running = false;
    if (this.ended) return; // closeFor/finish already flushed
    if (this.pendingFinish || this.eof) {
      if (this.eof) this.release('client-closed');
      this.finish();
      return;
    }
    this.flush();
    if (this.socket.writableNeedDrain) this.pause();
    else this.maybeResume();
  }

  private onEnd(): void {
    // The client closed its sending side: answer what it sent, then close ours.
    if (this.session.state !== 'ended') {
      const tail = this.session.end();
      for (const a of tail) {
        if (a.type === 'incomplete') this.server.log.warn({ length: a.length }, 'client closed mid-line; unterminated tail dropped');
      }
    }
    this.eof = true;
    if (!this.running) this.settle();
  }

  private eof = false;

  private onError(err: NodeJS.ErrnoException): void {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      this.server.log.info({ code: err.code }, 'client connection reset');
      return; // 'close' follows and frees the slot
    }
    this.server.report(new OnelineError('ERR_ONELINE_SOCKET', `client socket error: ${err.message}`, { cause: err, origin: 'remote' }));
  }

  private onSocketClose(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.graceTimer);
    clearTimeout(this.handlerTimer);
    this.queue.length = 0;
    this.head = 0;
    this.release(this.eof ? 'client-closed' : 'reset');
    this.server.gone(this);
  }

  private release(reason: DisconnectReason): void {
    if (this.released) return;
    this.released = true;
    this.server.released(this, reason);
  }

  /** Runs the handler; returns true if it went async (the executor must wait). */
  private runCommand(command: Command): boolean {
    const server = this.server;
    server.emitCommand(command, this);
    const gen = ++this.generation;
    const reply: Reply = (line) => {
      if (gen !== this.generation) {
        encodeLine(line); // still report a LF to the caller
        server.log.warn({}, 'reply() after the handler finished or timed out: dropped');
        return;
      }
      this.appendLine(line); // throws ERR_ONELINE_LF_IN_PAYLOAD to the handler
    };
    let result: HandlerResult | Promise<HandlerResult>;
    try {
      result = server.options.handler(command, reply);
    } catch (err) {
      this.generation++;
      server.report(toHandlerError(err, 'threw'));
      return false;
    }
    if (!isThenable(result)) {
      this.generation++;
      this.writeResult(result);
      return false;
    }
    const timeout = server.options.handlerTimeout;
    let settled = false;
    const done = (ok: boolean, value: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(this.handlerTimer);
      this.generation++;
      if (ok) this.writeResult(value as HandlerResult);
      else server.report(value as OnelineError);
      this.waiting = false;
      this.drain();
    };
    if (timeout > 0) {
      this.handlerTimer = setTimeout(
        () => done(false, toHandlerError(new Error(`no answer within ${timeout} ms`), 'timed out')),
        timeout,
      );
    }
    result.then(
      (v) => done(true, v),
      (err) => done(false, toHandlerError(err, 'rejected')),
    );
    return true;
  }

  private writeResult(result: HandlerResult): void {
    if (result === undefined || result === null) return;
    try {
      if (typeof result === 'string' || result instanceof Uint8Array) {
        this.appendLine(result);
      } else {
        // Check every line first: an array with a bad line sends nothing.
        const lines = result as readonly Payload[];
        for (const l of lines) if (typeof l === 'string' ? l.indexOf('\n') !== -1 : l.indexOf(0x0a) !== -1) encodeLine(l);
        for (const l of lines) this.appendLine(l);
      }
    } catch (err) {
      this.server.report(
        err instanceof OnelineError
          ? new OnelineError(err.code, `handler result refused: ${err.message}`, { cause: err })
          : toHandlerError(err, 'returned an unusable result'),
      );
    }
  }

  private pause(): void {
    if (!this.socket.isPaused()) this.socket.pause();
  }

  private maybeResume(): void {
    if (this.waiting || this.ended) return;
    if (this.socket.writableNeedDrain) return; // 'drain' calls us again
    if (this.socket.isPaused()) this.socket.resume();
  }

  /** Flush, FIN, then keep reading (discarding) until the client closes, bounded by closeGrace. */
  private finish(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    this.pendingFinish = false;
    const s = this.socket;
    clearTimeout(this.idleTimer);
    s.end();
    // Keep draining so unread client bytes cannot turn our close into a reset
    // that would discard responses still in flight.
    if (s.isPaused()) s.resume();
    const grace = this.server.options.closeGrace;
    this.graceTimer = setTimeout(() => this.destroyNow(), grace);
    this.graceTimer.unref();
  }

  private destroyNow(): void {
    this.ended = true;
    this.socket.destroy();
  }
}
