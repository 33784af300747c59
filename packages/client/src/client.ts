/**
 * `OnelineClient`: a promise-based client for oneline servers (ours and the
 * Python original).
 *
 * Theory of operation: the protocol logic lives in `ClientSession` (pure):
 * handshake, decoding, and handing response lines to readers in order. This
 * shell owns the socket, the timers and the AbortSignals. Every wait is a
 * reader registered with the session at the moment its command is written,
 * so pipelined requests get their responses in order. A request that times
 * out or is aborted keeps its place as a silent reader that swallows its late
 * responses, so the lines after it still reach the right caller. Reading
 * pauses while more than `maxQueuedLines` unread lines are queued.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import {
  ClientSession,
  OnelineError,
  isOnelineError,
  resolveDecoderOptions,
  resolveLogger,
  type LineReader,
  type Logger,
  type Payload,
  type ResolvedLogger,
  type ResponseLine,
} from '@socket-oneline/protocol';

/** Options of {@link OnelineClient}. */
export interface OnelineClientOptions {
  /** Server port (required). */
  port: number;
  /** Server host. @defaultValue `'127.0.0.1'` */
  host?: string;
  /** Connect with TLS: `true` for defaults, or `tls.ConnectionOptions` (`ca`, `cert`, `key`, ...). @defaultValue undefined (plain TCP) */
  tls?: boolean | tls.ConnectionOptions;
  /** Max ms for one connection attempt (TCP, TLS and the ping/pong handshake). @defaultValue 3000 (the original's handshake wait) */
  connectTimeout?: number;
  /** Keep retrying a refused or busy connect for up to this many ms in total (0: no retry). @defaultValue 0 */
  retryFor?: number;
  /** Default max ms to wait for responses in `recv`, `request`, `ping`, `disconnect`. @defaultValue 3000 */
  timeout?: number;
  /** Max bytes of a response line; longer ones are discarded and fail the reader with `ERR_ONELINE_LINE_TOO_LONG`. @defaultValue 65536 */
  maxLineLength?: number;
  /** Strip one CR before the LF of each response. @defaultValue true */
  stripCR?: boolean;
  /** Stop reading from the socket while more than this many unread lines are queued. @defaultValue 10000 */
  maxQueuedLines?: number;
  /** A console- or pino-shaped logger. @defaultValue silent */
  logger?: Logger;
  /** With no `logger`, print `[oneline-client] ...` lines to stderr. @defaultValue false */
  verbose?: boolean;
}

/** Per-call wait options. */
export interface WaitOptions {
  /** Max ms to wait; overrides the client's `timeout`. 0 waits forever. */
  timeout?: number;
  /** Cancels the wait (rejects with `ERR_ONELINE_ABORTED`). */
  signal?: AbortSignal;
}

/** How many response lines a {@link OnelineClient.request} collects. Give at most one of `lines`, `until`, `barrier`. */
export interface RequestOptions extends WaitOptions {
  /** Exactly this many lines (0 allowed). @defaultValue 1 */
  lines?: number;
  /** Lines up to and including the first one for which this returns true. */
  until?: (line: ResponseLine) => boolean;
  /**
   * Send `ping` right after the command and collect every line before its
   * `pong` (the pong is not returned). The protocol has no end-of-response
   * marker; this is how to collect "zero or more" lines reliably.
   */
  barrier?: boolean;
}

/** Events of {@link OnelineClient}. */
export interface OnelineClientEvents {
  /** The handshake completed. */
  connect: [];
  /** The connection closed; `error` is set when it was not a clean close. */
  close: [error: OnelineError | undefined];
  /** A socket or protocol error (also delivered to waiting calls). Having no listener never throws. */
  error: [error: OnelineError];
}

export type { ResponseLine };

const DEFAULTS = { host: '127.0.0.1', connectTimeout: 3000, retryFor: 0, timeout: 3000, maxQueuedLines: 10_000 };

function checkMs(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${name} must be a finite number of ms >= 0, got ${String(v)}`);
  }
  return v;
}

function mapSocketError(err: NodeJS.ErrnoException, where: string): OnelineError {
  if (isOnelineError(err)) return err;
  if (err.code === 'ECONNREFUSED') {
    return new OnelineError('ERR_ONELINE_REFUSED', `connection refused by ${where}: nothing is listening there`, { cause: err });
  }
  return new OnelineError('ERR_ONELINE_SOCKET', `connection to ${where} failed: ${err.message}`, { cause: err });
}

type CollectMode = { lines: number } | { until: (l: ResponseLine) => boolean } | { barrier: true };

/**
 * A client for one oneline connection.
 *
 * @example
 * ```ts
 * const client = new OnelineClient({ port: 5000 });
 * await client.connect();                       // TCP + ping/pong handshake
 * const [answer] = await client.request('cmd01'); // answer.text === 'ack'
 * await client.disconnect();
 * ```
 */
export class OnelineClient extends EventEmitter<OnelineClientEvents> {
  private readonly opts: Required<Omit<OnelineClientOptions, 'tls' | 'logger' | 'verbose'>> & {
    tls: tls.ConnectionOptions | undefined;
  };
  /** The logger in use (silent by default). */
  readonly log: ResolvedLogger;
  private socket: net.Socket | undefined;
  private session: ClientSession | undefined;
  private closeWaiters: (() => void)[] = [];
  private readonly where: string;

  /** @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option. */
  constructor(options: OnelineClientOptions) {
    super();
    const port = options?.port;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `port must be an integer 1..65535, got ${String(port)}`);
    }
    const { maxLineLength, stripCR } = resolveDecoderOptions(options);
    const maxQueuedLines = options.maxQueuedLines ?? DEFAULTS.maxQueuedLines;
    if (!Number.isSafeInteger(maxQueuedLines) || maxQueuedLines < 1) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `maxQueuedLines must be a positive integer, got ${String(maxQueuedLines)}`);
    }
    this.opts = {
      port,
      host: options.host ?? DEFAULTS.host,
      connectTimeout: checkMs('connectTimeout', options.connectTimeout ?? DEFAULTS.connectTimeout),
      retryFor: checkMs('retryFor', options.retryFor ?? DEFAULTS.retryFor),
      timeout: checkMs('timeout', options.timeout ?? DEFAULTS.timeout),
      maxLineLength,
      stripCR,
      maxQueuedLines,
      tls: options.tls === true ? {} : options.tls === false ? undefined : options.tls,
    };
    this.where = `${this.opts.host}:${this.opts.port}`;
    this.log = resolveLogger(options.logger, options.verbose, 'oneline-client', console);
  }

  /** Response lines received and not yet read (reading pauses above `maxQueuedLines`). */
  get queuedLines(): number {
    return this.session?.queued ?? 0;
  }

  /** True once the handshake completed and until the connection closes or a close starts. */
  get connected(): boolean {
    return this.session?.state === 'ready';
  }

  /**
   * Connects and performs the handshake (`ping` → `pong`), retrying a refused
   * or busy server while `retryFor` allows.
   * @throws OnelineError `ERR_ONELINE_REFUSED`, `ERR_ONELINE_BUSY`, `ERR_ONELINE_HANDSHAKE_FAILED`,
   *   `ERR_ONELINE_TIMEOUT`, `ERR_ONELINE_SOCKET` (e.g. TLS), `ERR_ONELINE_ABORTED`,
   *   `ERR_ONELINE_SERVER_STATE` if already connected.
   */
  async connect(options: { signal?: AbortSignal; timeout?: number; retryFor?: number } = {}): Promise<void> {
    if (this.socket !== undefined) {
      throw new OnelineError('ERR_ONELINE_SERVER_STATE', 'connect(): this client is already connected or connecting');
    }
    const retryFor = options.retryFor ?? this.opts.retryFor;
    const deadline = Date.now() + retryFor;
    let delay = 20;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.attempt(options.timeout ?? this.opts.connectTimeout, options.signal);
        return;
      } catch (err) {
        const e = err as OnelineError;
        const retryable = e.code === 'ERR_ONELINE_REFUSED' || e.code === 'ERR_ONELINE_BUSY';
        const left = deadline - Date.now();
        if (!retryable || left <= 0) throw e;
        this.log.debug({ attempt, code: e.code, retryInMs: Math.min(delay, left) }, 'connect failed; retrying');
        // A backoff between attempts, bounded by the deadline (not a poll loop on our side).
        await abortableDelay(Math.min(delay, left), options.signal);
        delay = Math.min(delay * 2, 500);
      }
    }
  }

  private attempt(timeout: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const session = new ClientSession({ maxLineLength: this.opts.maxLineLength, stripCR: this.opts.stripCR });
      const o = this.opts;
      const socket: net.Socket =
        o.tls !== undefined
          ? tls.connect({ host: o.host, port: o.port, servername: net.isIP(o.host) ? undefined : o.host, ...o.tls })
          : net.connect({ host: o.host, port: o.port, noDelay: true });
      this.socket = socket;
      this.session = session;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: OnelineError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) {
          this.log.info({ server: this.where }, 'connected');
          this.emit('connect');
          resolve();
        } else {
          session.failed(err);
          socket.destroy();
          if (this.socket === socket) {
            this.socket = undefined;
            this.session = undefined;
          }
          reject(err);
        }
      };
      const onAbort = () => finish(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout > 0) {
        timer = setTimeout(
          () => finish(new OnelineError('ERR_ONELINE_TIMEOUT', `connect to ${this.where} timed out after ${timeout} ms (TCP, TLS and ping/pong)`)),
          timeout,
        );
      }
      socket.once(o.tls !== undefined ? 'secureConnect' : 'connect', () => {
        if (settled) return;
        socket.setNoDelay(true);
        socket.write(session.opened());
      });
      socket.on('data', (chunk: Buffer) => {
        if (session.state === 'closed') return;
        for (const a of session.receive(chunk)) {
          if (a.type === 'ready') finish();
          else if (a.type === 'handshake-failed') finish(a.error);
        }
        if (session.queued > o.maxQueuedLines) socket.pause();
      });
      // The stream ended before the handshake completed: the session says why
      // (a busy server closes at once, by FIN or, if our ping was unread, by reset).
      const endedEarly = () => {
        session.ended();
        finish(session.error ?? new OnelineError('ERR_ONELINE_CLOSED', `${this.where} closed the connection`));
      };
      socket.on('end', () => {
        if (settled) session.ended();
        else endedEarly();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (!settled && session.state === 'handshake' && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          endedEarly();
          return;
        }
        const e = mapSocketError(err, this.where);
        if (!settled) {
          finish(e);
          return;
        }
        session.failed(e);
        this.log.warn({ code: e.code }, e.message);
        if (this.listenerCount('error') > 0) this.emit('error', e);
      });
      socket.on('close', () => {
        if (!settled) endedEarly();
        session.ended();
        if (this.socket === socket) {
          this.socket = undefined;
        }
        const err = session.error?.code === 'ERR_ONELINE_CLOSED' ? undefined : session.error;
        if (settled && this.session === session) this.emit('close', err);
        for (const w of this.closeWaiters.splice(0)) w();
      });
    });
  }

  /**
   * Sends a command without waiting for an answer (read it with {@link recv}).
   * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD`, `ERR_ONELINE_NOT_CONNECTED`.
   */
  send(command: Payload): void {
    const { socket, session } = this.ready('send()');
    socket.write(session.send(command));
  }

  /**
   * The next response line.
   * @throws OnelineError `ERR_ONELINE_TIMEOUT` (never an empty string, unlike the original),
   *   `ERR_ONELINE_ABORTED`, `ERR_ONELINE_CLOSED`, `ERR_ONELINE_LINE_TOO_LONG`, `ERR_ONELINE_NOT_CONNECTED`.
   */
  async recv(options: WaitOptions = {}): Promise<ResponseLine> {
    const session = this.session;
    if (session === undefined) throw notConnected('recv()');
    const lines = await this.collect(session, { lines: 1 }, options, false, 'recv()');
    return lines[0]!;
  }

  /**
   * Sends a command and collects its response lines: exactly `lines` (default
   * 1), or up to the line `until` accepts, or (with `barrier`) every line
   * before the `pong` of a `ping` sent right after it. Several requests may be
   * in flight; each gets its own lines, in order.
   * @throws OnelineError as {@link recv}, plus `ERR_ONELINE_INVALID_OPTION` for conflicting options.
   */
  request(command: Payload, options: RequestOptions = {}): Promise<ResponseLine[]> {
    const modes = Number(options.lines !== undefined) + Number(options.until !== undefined) + Number(options.barrier === true);
    if (modes > 1) {
      return Promise.reject(new OnelineError('ERR_ONELINE_INVALID_OPTION', 'request(): give at most one of lines, until, barrier'));
    }
    if (options.lines !== undefined && (!Number.isSafeInteger(options.lines) || options.lines < 0)) {
      return Promise.reject(new OnelineError('ERR_ONELINE_INVALID_OPTION', `request(): lines must be an integer >= 0, got ${String(options.lines)}`));
    }
    let sock: net.Socket;
    let session: ClientSession;
    try {
      ({ socket: sock, session } = this.ready('request()'));
      const data = options.barrier === true ? Buffer.concat([session.send(command), session.send('ping')]) : session.send(command);
      sock.write(data);
    } catch (err) {
      return Promise.reject(err);
    }
    if (options.lines === 0) return Promise.resolve([]);
    const mode: CollectMode =
      options.barrier === true ? { barrier: true } : options.until !== undefined ? { until: options.until } : { lines: options.lines ?? 1 };
    return this.collect(session, mode, options, true, 'request()');
  }

  /**
   * Sends `ping` and resolves with the round-trip time in ms.
   * @throws OnelineError as {@link request}; `ERR_ONELINE_HANDSHAKE_FAILED` if the answer is not `pong`.
   */
  async ping(options: WaitOptions = {}): Promise<number> {
    const t0 = performance.now();
    const [line] = await this.request('ping', options);
    const rtt = performance.now() - t0;
    if (line === undefined || line.text.trim() !== 'pong') {
      throw new OnelineError('ERR_ONELINE_HANDSHAKE_FAILED', `ping: expected 'pong', got ${JSON.stringify(line?.text)}`);
    }
    return rtt;
  }

  /**
   * Sends `disconnect` and resolves when the server has closed the connection.
   * Lines still arriving go to calls already waiting.
   * @throws OnelineError `ERR_ONELINE_NOT_CONNECTED`, `ERR_ONELINE_TIMEOUT` (the socket is then destroyed), `ERR_ONELINE_ABORTED`.
   */
  disconnect(options: WaitOptions = {}): Promise<void> {
    return this.closeWith('disconnect', options);
  }

  /** Sends `shutdown` (the server stops listening) and resolves when it has closed the connection. Throws as {@link disconnect}. */
  shutdown(options: WaitOptions = {}): Promise<void> {
    return this.closeWith('shutdown', options);
  }

  /** Closes the connection at once without a protocol goodbye. Safe to call any time. */
  destroy(): void {
    this.socket?.destroy();
  }

  /** Async iteration over incoming lines; ends cleanly when the connection closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ResponseLine, void, undefined> {
    const session = this.session;
    if (session === undefined) return;
    for (;;) {
      try {
        const [line] = await this.collect(session, { lines: 1 }, { timeout: 0 }, false, 'iteration');
        yield line!;
      } catch (err) {
        if (isOnelineError(err, 'ERR_ONELINE_CLOSED')) return;
        throw err;
      }
    }
  }

  private ready(what: string): { socket: net.Socket; session: ClientSession } {
    const { socket, session } = this;
    if (socket === undefined || session === undefined || session.state !== 'ready') throw notConnected(what);
    return { socket, session };
  }

  private closeWith(kind: 'disconnect' | 'shutdown', options: WaitOptions): Promise<void> {
    let socket: net.Socket;
    try {
      const r = this.ready(`${kind}()`);
      socket = r.socket;
      socket.write(r.session.close(kind));
    } catch (err) {
      return Promise.reject(err);
    }
    const timeout = options.timeout ?? this.opts.timeout;
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (err?: OnelineError) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const i = this.closeWaiters.indexOf(onClose);
        if (i !== -1) this.closeWaiters.splice(i, 1);
        if (err === undefined) resolve();
        else {
          socket.destroy();
          reject(err);
        }
      };
      const onClose = () => done();
      const onAbort = () => done(abortError(options.signal!));
      this.closeWaiters.push(onClose);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout > 0) {
        timer = setTimeout(
          () => done(new OnelineError('ERR_ONELINE_TIMEOUT', `${kind}: the server did not close the connection within ${timeout} ms`)),
          timeout,
        );
      }
    });
  }

  /**
   * Registers a reader with the session and wraps it with timeout and abort.
   * `keepPlace`: on timeout/abort the reader stays queued and silently eats
   * its late lines (for requests); otherwise it is removed (for recv).
   */
  private collect(
    session: ClientSession,
    mode: CollectMode,
    options: WaitOptions,
    keepPlace: boolean,
    what: string,
  ): Promise<ResponseLine[]> {
    const timeout = options.timeout ?? this.opts.timeout;
    const signal = options.signal;
    return new Promise<ResponseLine[]>((resolve, reject) => {
      const got: ResponseLine[] = [];
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (err?: OnelineError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve(got);
        else reject(err);
      };
      let tooLong: OnelineError | undefined;
      const reader: LineReader = {
        onLine: (line) => {
          let done: boolean;
          if ('barrier' in mode) {
            done = !line.invalid && line.text === 'pong';
            if (!done) got.push(line);
          } else {
            got.push(line);
            done = 'lines' in mode ? got.length >= mode.lines : safePredicate(mode.until, line);
          }
          if (line.reason === 'too-long' && tooLong === undefined) {
            tooLong = new OnelineError('ERR_ONELINE_LINE_TOO_LONG', `${what}: a response line of ${line.length} bytes exceeds maxLineLength (${this.opts.maxLineLength}); it was discarded`);
          }
          if (done) settle(tooLong);
          this.maybeResume(session);
          return done;
        },
        onError: (err) => settle(err),
      };
      const giveUp = (err: OnelineError) => {
        if (!keepPlace) session.cancel(reader);
        settle(err);
      };
      const onAbort = () => giveUp(abortError(signal!));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout > 0) {
        timer = setTimeout(() => giveUp(new OnelineError('ERR_ONELINE_TIMEOUT', `${what}: no complete response within ${timeout} ms`)), timeout);
      }
      session.read(reader);
      this.maybeResume(session);
    });
  }

  private maybeResume(session: ClientSession): void {
    const s = this.socket;
    if (s !== undefined && this.session === session && s.isPaused() && session.queued <= this.opts.maxQueuedLines) s.resume();
  }
}

function safePredicate(pred: (l: ResponseLine) => boolean, line: ResponseLine): boolean {
  try {
    return pred(line) === true;
  } catch {
    return true; // a throwing predicate ends the request rather than hanging it
  }
}

function notConnected(what: string): OnelineError {
  return new OnelineError('ERR_ONELINE_NOT_CONNECTED', `${what}: the client is not connected (call connect() first)`);
}

function abortError(signal: AbortSignal): OnelineError {
  return new OnelineError('ERR_ONELINE_ABORTED', 'the operation was aborted', { cause: signal.reason });
}

function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
