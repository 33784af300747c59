/**
 * `OnelineClient`: a promise-based client for oneline servers (ours and the
 * Python original).
 *
 * Theory of operation: the protocol logic lives in `ClientSession` (pure):
 * handshake, decoding, the O(1) queue of waiting requests, byte and line
 * budgets, and realignment after a request gives up. This shell owns the
 * socket, one deadline timer for all waits (`DeadlineTimer`), the
 * AbortSignals, and write coalescing: commands issued in the same tick go
 * out in one `write`. Every request reserves its place in the response
 * stream when its command is encoded, so pipelined requests get their
 * answers in order. Reading pauses while the session is over its unread
 * budget and resumes when a reader takes lines.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import {
  CLIENT_BUDGET_DEFAULTS,
  ClientSession,
  DEFAULT_CLIENT_MAX_LINE_LENGTH,
  OnelineError,
  isOnelineError,
  resolveDecoderOptions,
  resolveLogger,
  type ClientAction,
  type Payload,
  type ResolvedLogger,
  type ResponseLine,
} from '@socket-oneline/protocol';
import { DeadlineTimer } from './deadlines.js';
import { checkClientOptions } from './option-check.js';
import { abortError, abortableDelay, checkMs, checkPositive, isPing, mapSocketError, notConnected, Once } from './support.js';
import { clientChannels } from './diagnostics.js';
import { Pending, takePromise, type CollectMode, type PendingOwner, type PendingSpec } from './pending.js';
import type { OnelineClientEvents, OnelineClientOptions, RequestOptions, WaitOptions } from './options.js';

export type { OnelineClientOptions, WaitOptions, RequestOptions, OnelineClientEvents } from './options.js';
export type { ResponseLine };

const DEFAULTS = { host: '127.0.0.1', connectTimeout: 3000, retryFor: 0, timeout: 3000 };
// Shared default: no options object per call on the hot path.
const NO_OPTIONS: RequestOptions = Object.freeze({});

type Budgets = { [K in keyof typeof CLIENT_BUDGET_DEFAULTS]: number };
// `plain`: started with no timeout or signal of its own, so a call that brings none may share it.
type Goodbye = { readonly kind: 'disconnect' | 'shutdown'; readonly session: ClientSession; readonly plain: boolean; promise: Promise<void> };
const noop = (): void => undefined;
const isPlain = (o: WaitOptions): boolean => o.timeout === undefined && o.signal === undefined;


/**
 * A client for one oneline connection at a time.
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
  readonly #opts: Required<Omit<OnelineClientOptions, 'tls' | 'logger' | 'verbose' | 'path'>> & {
    path: string | undefined;
    tls: tls.ConnectionOptions | undefined;
  };
  /** The logger in use (silent by default). */
  readonly log: ResolvedLogger;
  #socket: net.Socket | undefined;
  #session: ClientSession | undefined;
  readonly #where: string;
  readonly #timer = new DeadlineTimer();
  // Pending writes of this tick, in order: text commands are joined into one string at the flush.
  #outText: string[] = [];
  #outParts: (string | Buffer)[] = [];
  #flushScheduled = false;
  // One clock read per tick for the deadlines of the requests issued in it.
  #tickNow = -1;
  // True while reading is paused for the unread budget.
  #paused = false;
  #realignDeadline: Once | undefined;
  #closedPromise: Promise<OnelineError | undefined> = Promise.resolve(undefined);
  // Set while connect() runs (attempts and backoffs); destroy() and disconnect() abort it.
  #connecting: AbortController | undefined;
  // Settles (never rejects) when the connect() in progress ends.
  #connectEnded: Promise<void> = Promise.resolve();
  // The disconnect or shutdown in progress: later calls share or join it.
  #goodbye: Goodbye | undefined;
  // The session this side destroyed (destroy(), or a goodbye that timed out or was aborted).
  #destroyed: ClientSession | undefined;
  #disposing: Promise<void> | undefined;
  // What waiting calls report back to (one object per client, not public API).
  readonly #owner: PendingOwner = {
    giveUp: (p, error) => this.#giveUp(p, error),
    answered: (p) => this.#answered(p),
    maxLineLength: 0,
  };
  // Specs of one-line calls with the default timeout, by mode: made once, shared by all such calls.
  readonly #sharedSpecs = new Map<CollectMode, PendingSpec>();

  /**
   * Makes a client (it connects on {@link connect}). Give `port` (TCP) or `path` (Unix socket or named pipe).
   * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option: an unknown key, a value of the
   *   wrong type or out of range, `path` with `host`/`port`, or neither `port` nor `path`.
   */
  constructor(options: OnelineClientOptions) {
    super();
    checkClientOptions(options);
    const path = options.path;
    const port = options.port ?? 0;
    if (path === undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `port must be an integer 1..65535, got ${String(port)}`);
    }
    const { maxLineLength, stripCR } = resolveDecoderOptions({ ...options, maxLineLength: options.maxLineLength ?? DEFAULT_CLIENT_MAX_LINE_LENGTH });
    const budgets: Budgets = {
      maxQueuedLines: checkPositive('maxQueuedLines', options.maxQueuedLines ?? CLIENT_BUDGET_DEFAULTS.maxQueuedLines),
      maxQueuedBytes: checkPositive('maxQueuedBytes', options.maxQueuedBytes ?? CLIENT_BUDGET_DEFAULTS.maxQueuedBytes),
      maxResponseLines: checkPositive('maxResponseLines', options.maxResponseLines ?? CLIENT_BUDGET_DEFAULTS.maxResponseLines),
      maxResponseBytes: checkPositive('maxResponseBytes', options.maxResponseBytes ?? CLIENT_BUDGET_DEFAULTS.maxResponseBytes),
    };
    this.#opts = {
      port,
      host: options.host ?? DEFAULTS.host,
      path,
      connectTimeout: checkMs('connectTimeout', options.connectTimeout ?? DEFAULTS.connectTimeout),
      retryFor: checkMs('retryFor', options.retryFor ?? DEFAULTS.retryFor),
      timeout: checkMs('timeout', options.timeout ?? DEFAULTS.timeout),
      maxLineLength,
      stripCR,
      ...budgets,
      tls: options.tls === true ? {} : options.tls === false ? undefined : options.tls,
    };
    this.#where = path ?? `${this.#opts.host}:${this.#opts.port}`;
    this.#owner.maxLineLength = maxLineLength;
    this.log = resolveLogger(options.logger, options.verbose, 'oneline-client', console);
  }

  /** Response lines received and not yet read (reading pauses above `maxQueuedLines`). */
  get queuedLines(): number {
    return this.#session?.queued ?? 0;
  }

  /** Bytes of the response lines received and not yet read (reading pauses above `maxQueuedBytes`). */
  get queuedBytes(): number {
    return this.#session?.queuedBytes ?? 0;
  }

  /** True once the handshake completed and until the connection closes or a close starts. */
  get connected(): boolean {
    return this.#session?.state === 'ready';
  }

  /**
   * Resolves once the current (or last) connection is fully closed: with
   * `undefined` after a clean close, or the error that closed it. Never
   * rejects; already resolved when the client never connected.
   */
  get closed(): Promise<OnelineError | undefined> {
    return this.#closedPromise;
  }

  /**
   * Connects and performs the handshake (`ping` → `pong`), retrying a refused
   * or busy server while `retryFor` allows. Works right after the server
   * closed the previous connection, without waiting for the `close` event.
   * @throws OnelineError `ERR_ONELINE_REFUSED`, `ERR_ONELINE_BUSY`, `ERR_ONELINE_HANDSHAKE_FAILED`,
   *   `ERR_ONELINE_TIMEOUT`, `ERR_ONELINE_SOCKET` (e.g. TLS), `ERR_ONELINE_ABORTED`,
   *   `ERR_ONELINE_SERVER_STATE` if already connected or connecting.
   */
  async connect(options: { signal?: AbortSignal; timeout?: number; retryFor?: number } = {}): Promise<void> {
    if (this.#connecting !== undefined || (this.#session !== undefined && this.#session.state !== 'closed')) {
      throw new OnelineError('ERR_ONELINE_SERVER_STATE', 'connect(): this client is already connected or connecting');
    }
    // The previous connection is over (its stream ended) even if its socket has not emitted 'close' yet.
    this.#socket?.destroy();
    this.#socket = undefined;
    // One signal for the caller's abort and destroy(), through every attempt and backoff.
    const stop = new AbortController();
    this.#connecting = stop;
    let ended!: () => void;
    this.#connectEnded = new Promise<void>((r) => (ended = r));
    const user = options.signal;
    const onUserAbort = () => stop.abort(user!.reason);
    if (user?.aborted) onUserAbort();
    else user?.addEventListener('abort', onUserAbort, { once: true });
    const retryFor = options.retryFor ?? this.#opts.retryFor;
    const deadline = Date.now() + retryFor;
    let delay = 20;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#attempt(options.timeout ?? this.#opts.connectTimeout, stop.signal);
          return;
        } catch (err) {
          const e = err as OnelineError;
          const retryable = e.code === 'ERR_ONELINE_REFUSED' || e.code === 'ERR_ONELINE_BUSY';
          const left = deadline - Date.now();
          if (!retryable || left <= 0) throw e;
          this.log.debug({ attempt, code: e.code, retryInMs: Math.min(delay, left) }, 'connect failed; retrying');
          // A backoff between attempts, bounded by the deadline (not a poll loop on our side).
          await abortableDelay(Math.min(delay, left), stop.signal);
          delay = Math.min(delay * 2, 500);
        }
      }
    } finally {
      user?.removeEventListener('abort', onUserAbort);
      if (this.#connecting === stop) this.#connecting = undefined;
      ended();
    }
  }

  #attempt(timeout: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const o = this.#opts;
      const session = new ClientSession({
        maxLineLength: o.maxLineLength,
        stripCR: o.stripCR,
        maxQueuedLines: o.maxQueuedLines,
        maxQueuedBytes: o.maxQueuedBytes,
        maxResponseLines: o.maxResponseLines,
        maxResponseBytes: o.maxResponseBytes,
      });
      const target = o.path !== undefined ? { path: o.path } : { host: o.host, port: o.port };
      const socket: net.Socket =
        o.tls !== undefined
          ? tls.connect({ ...target, servername: o.path !== undefined || net.isIP(o.host) ? undefined : o.host, ...o.tls })
          : net.connect({ ...target, noDelay: true });
      this.#socket = socket;
      this.#session = session;
      this.#outText = [];
      this.#outParts = [];
      this.#paused = false;
      let resolveClosed!: (e: OnelineError | undefined) => void;
      this.#closedPromise = new Promise((r) => (resolveClosed = r));
      let settled = false;
      let up = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: OnelineError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) {
          up = true;
          this.log.info({ server: this.#where }, 'connected');
          if (clientChannels.connect.hasSubscribers) clientChannels.connect.publish({ client: this, server: this.#where });
          this.emit('connect');
          resolve();
        } else {
          session.failed(err);
          socket.destroy();
          // Never connected: calls say "not connected", not "closed".
          if (this.#session === session) {
            this.#session = undefined;
            this.#socket = undefined;
          }
          reject(err);
        }
      };
      const onAbort = () => finish(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout > 0) {
        timer = setTimeout(
          () => finish(new OnelineError('ERR_ONELINE_TIMEOUT', `connect to ${this.#where} timed out after ${timeout} ms (TCP, TLS and ping/pong)`)),
          timeout,
        );
      }
      let secured = false;
      socket.once(o.tls !== undefined ? 'secureConnect' : 'connect', () => {
        secured = o.tls !== undefined;
        if (settled) return;
        socket.setNoDelay(true);
        socket.write(session.opened());
      });
      socket.on('data', (chunk: Buffer) => {
        if (session.state === 'closed') return;
        const before = session.waiting;
        const actions = session.receive(chunk);
        for (let i = 0; i < actions.length; i++) {
          const a = actions[i]!;
          if (a.type === 'ready') finish();
          else if (a.type === 'handshake-failed') finish(a.error);
          else this.#onSessionAction(session, a);
        }
        // Progress while realigning restarts its deadline: it counts time without progress.
        if (this.#realignDeadline !== undefined && session.waiting < before && this.#session === session) this.#armRealign(session);
        this.#timer.prune();
        if (session.overBudget) {
          socket.pause();
          this.#paused = true;
        }

      });
      // The stream ended before the handshake completed: the session says why
      // (a busy server closes at once, by FIN or, if our ping was unread, by reset).
      const endedEarly = () => {
        if (secured && !settled) {
          // A busy TLS server turns us away before any TLS work; a close right
          // after a completed handshake is the server refusing us at the TLS level.
          finish(
            new OnelineError(
              'ERR_ONELINE_TLS',
              `${this.#where} closed the connection right after the TLS handshake, before answering ping: it refused our client certificate (or its TLS policy refused us)`,
            ),
          );
          return;
        }
        session.ended();
        finish(session.error ?? new OnelineError('ERR_ONELINE_CLOSED', `${this.#where} closed the connection`));
      };
      socket.on('end', () => {
        if (settled) this.#endSession(session);
        else endedEarly();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (!settled && session.state === 'handshake' && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          endedEarly();
          return;
        }
        const e = mapSocketError(err, this.#where);
        if (!settled) {
          finish(e);
          return;
        }
        this.#failSession(session, e);
        this.log.warn({ code: e.code }, e.message);
        if (this.listenerCount('error') > 0) this.emit('error', e);
      });
      socket.on('close', () => {
        if (!settled) endedEarly();
        this.#endSession(session);
        if (this.#socket === socket) this.#socket = undefined;
        const err = session.error?.code === 'ERR_ONELINE_CLOSED' ? undefined : session.error;
        if (up) {
          if (clientChannels.close.hasSubscribers) clientChannels.close.publish({ client: this, error: err });
          this.emit('close', err);
        }
        resolveClosed(err);
      });
    });
  }

  #endSession(session: ClientSession): void {
    if (session.state === 'closed') return;
    session.ended();
    if (this.#session === session) this.#afterClose();
  }

  #failSession(session: ClientSession, error: OnelineError): void {
    if (session.state === 'closed') return;
    session.failed(error);
    if (this.#session === session) this.#afterClose();
  }

  #afterClose(): void {
    this.#timer.clear();
    this.#realignDeadline = undefined;
    this.#outText = [];
    this.#outParts = [];
  }

  #onSessionAction(session: ClientSession, a: ClientAction): void {
    if (a.type === 'realign') {
      if (a.data !== undefined) this.#write(a.data);
      if (this.#realignDeadline === undefined) {
        this.log.debug({ reason: a.reason.code }, 'realigning the response stream');
        if (clientChannels.realign.hasSubscribers) clientChannels.realign.publish({ client: this, phase: 'start', reason: a.reason });
      }
      this.#armRealign(session);
    } else if (a.type === 'aligned') {
      if (this.#realignDeadline !== undefined) this.#realignDeadline.done = true;
      this.#realignDeadline = undefined;
      this.#timer.prune();
      if (clientChannels.realign.hasSubscribers) clientChannels.realign.publish({ client: this, phase: 'done', reason: undefined });
    }
  }

  /** (Re)starts the realignment's deadline: no `pong` in `timeout` ms closes the connection loudly. */
  #armRealign(session: ClientSession): void {
    if (this.#realignDeadline !== undefined) this.#realignDeadline.done = true;
    this.#realignDeadline = undefined;
    const timeout = this.#opts.timeout;
    if (timeout === 0) return;
    const d = new Once(performance.now() + timeout, () => {
      if (this.#session !== session || !session.realigning) return;
      const err = new OnelineError(
        'ERR_ONELINE_DESYNC',
        `the server did not answer the realignment ping within ${timeout} ms; the connection is closed so that no answer reaches the wrong request`,
      );
      this.log.warn({ code: err.code }, err.message);
      this.#failSession(session, err);
      this.#socket?.destroy();
    });
    this.#realignDeadline = d;
    this.#timer.add(d);
  }

  // Commands issued in one tick leave in one write.
  #write(data: Buffer | string): void {
    if (typeof data === 'string') this.#outText.push(data);
    else {
      if (this.#outText.length > 0) this.#outParts.push(`${this.#outText.join('\n')}\n`);
      this.#outText = [];
      this.#outParts.push(data);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    this.#tickNow = -1;
    const parts = this.#outParts;
    // Text commands come without their LF (see ClientSession.request).
    const text = this.#outText.length === 0 ? '' : `${this.#outText.join('\n')}\n`;
    this.#outParts = [];
    this.#outText = [];
    const s = this.#socket;
    if (s === undefined || s.destroyed) return;
    if (parts.length === 0) {
      if (text !== '') s.write(text);
      return;
    }
    if (text !== '') parts.push(text);
    s.cork();
    for (const p of parts) s.write(p);
    s.uncork();
  };

  #now(): number {
    if (this.#tickNow < 0) {
      this.#tickNow = performance.now();
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        process.nextTick(this.#flush);
      }
    }
    return this.#tickNow;
  }

  /**
   * Sends a command without waiting for an answer (read it with {@link recv}).
   * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD`, `ERR_ONELINE_NOT_CONNECTED`, `ERR_ONELINE_CLOSED`.
   */
  send(command: Payload): void {
    const session = this.#ready('send()');
    this.#write(session.send(command));
    if (clientChannels.command.hasSubscribers) clientChannels.command.publish({ client: this, command });
  }

  /**
   * The next response line, with no command of its own (after {@link send}).
   * A timed-out `recv()` gives up its place.
   * @throws OnelineError `ERR_ONELINE_TIMEOUT` (never an empty string, unlike the original),
   *   `ERR_ONELINE_ABORTED`, `ERR_ONELINE_CLOSED`, `ERR_ONELINE_LINE_TOO_LONG`, `ERR_ONELINE_NOT_CONNECTED`.
   */
  async recv(options: WaitOptions = {}): Promise<ResponseLine> {
    const session = this.#session;
    if (session === undefined) throw notConnected('recv()');
    const p = this.#pending('raw', undefined, 1, options);
    const promise = takePromise();
    if (p.done) return (await promise)[0]!;
    session.read(p);
    this.#maybeResume(session);
    if (!p.done) this.#track(p);
    const lines = await promise;
    return lines[0]!;
  }

  /**
   * Sends a command and collects its answer: exactly `lines` (default 1), or
   * up to the line `until` accepts, or (with `barrier`) every line before the
   * `pong` of a `ping` sent right after it; a `ping` command's answer is its
   * `pong`. Several requests may be in flight; each gets its own lines, in
   * order. When a request times out, is aborted or goes over a cap, its lines
   * are discarded and the stream is realigned (see the README's ordering
   * rule); requests already pipelined behind it get their own answer or
   * `ERR_ONELINE_DESYNC`, never its lines.
   * @throws OnelineError as {@link recv}, plus `ERR_ONELINE_INVALID_OPTION` for conflicting options,
   *   `ERR_ONELINE_RESPONSE_TOO_LARGE` over a cap, `ERR_ONELINE_DESYNC`. A timeout or abort error
   *   carries the lines that did arrive as `received`.
   */
  request(command: Payload, options: RequestOptions = NO_OPTIONS): Promise<ResponseLine[]> {
    const barrier = options.barrier === true;
    const until = options.until;
    const lines = options.lines;
    if (lines !== undefined || until !== undefined || barrier) {
      const modes = Number(lines !== undefined) + Number(until !== undefined) + Number(barrier);
      if (modes > 1) {
        return Promise.reject(new OnelineError('ERR_ONELINE_INVALID_OPTION', 'request(): give at most one of lines, until, barrier'));
      }
      const cap = options.maxLines ?? this.#opts.maxResponseLines;
      if (lines !== undefined && (!Number.isSafeInteger(lines) || lines < 0 || lines > cap)) {
        return Promise.reject(new OnelineError('ERR_ONELINE_INVALID_OPTION', `request(): lines must be an integer 0..${cap} (maxLines), got ${String(lines)}`));
      }
    }
    let session: ClientSession;
    try {
      session = this.#ready('request()');
    } catch (err) {
      return Promise.reject(err);
    }
    if (lines === 0) {
      // Nothing to collect: the command still goes out (nothing reserved for its answer).
      try {
        this.#write(session.send(command));
      } catch (err) {
        return Promise.reject(err);
      }
      return Promise.resolve([]);
    }
    const mode: CollectMode = barrier ? 'barrier' : until !== undefined ? 'until' : isPing(command) ? 'ping' : 'lines';
    const p = this.#pending(mode, command, until ?? lines ?? 1, options);
    const promise = takePromise();
    if (p.done) return promise;
    let data: Buffer | string;
    try {
      data = session.request(command, p, options);
    } catch (err) {
      p.settle(err as OnelineError);
      return promise;
    }
    this.#write(data);
    if (clientChannels.command.hasSubscribers) clientChannels.command.publish({ client: this, command });
    if (!p.done) this.#track(p);
    // Queued lines it took may bring the unread queue back under budget.
    if (this.#paused) this.#maybeResume(session);
    return promise;
  }

  /**
   * Sends `ping` and resolves with the round-trip time in ms.
   * @throws OnelineError as {@link request}; `ERR_ONELINE_HANDSHAKE_FAILED` if the answer is not `pong`.
   */
  async ping(options: WaitOptions = {}): Promise<number> {
    const t0 = performance.now();
    const lines = await this.request('ping', options);
    const rtt = performance.now() - t0;
    const last = lines[lines.length - 1];
    if (last === undefined || lines.length !== 1 || last.text.trim() !== 'pong') {
      throw new OnelineError('ERR_ONELINE_HANDSHAKE_FAILED', `ping: expected 'pong', got ${JSON.stringify(lines.map((l) => l.text))}`);
    }
    return rtt;
  }

  /**
   * Makes sure this client is not connected: sends `disconnect` and resolves
   * once the server has closed the connection (lines still arriving go to
   * calls already waiting). Idempotent, like `socket.end()`: when the client
   * is not connected already (a second call, the server closed or reset the
   * connection, after {@link destroy}, never connected) it just resolves,
   * once the socket is closed. A call while a disconnect is in progress
   * returns the same promise; while a shutdown is in progress it waits for
   * that close; while `connect()` is in progress it gives the connect up
   * (which rejects with `ERR_ONELINE_ABORTED`).
   * @throws OnelineError only for a failure while it runs: `ERR_ONELINE_TIMEOUT` when the server does
   *   not close within `timeout` (default: the client's `timeout`), `ERR_ONELINE_ABORTED` when
   *   `signal` fires; the socket is then destroyed, so the client is not connected either way.
   */
  disconnect(options: WaitOptions = {}): Promise<void> {
    const g = this.#goodbye;
    // Joining a goodbye in progress: the same promise, unless either call brought its own
    // timeout or signal (each is then held to its own; one caller's abort is not another's).
    if (g !== undefined) return g.kind === 'disconnect' && g.plain && isPlain(options) ? g.promise : this.#closing('disconnect', options, g.session);
    if (this.#connecting !== undefined) {
      this.#connecting.abort(new Error('disconnect() was called while connecting'));
      // Asked again once the connect settled: it may have completed just before the abort.
      return this.#connectEnded.then(() => this.disconnect(options));
    }
    const session = this.#session;
    if (session?.state === 'ready') return this.#startGoodbye('disconnect', session, options);
    if (session?.state === 'closing') return this.#closing('disconnect', options, session);
    // Not connected: done once the last socket is closed. A socket the server half-closed may
    // linger (our writes to a peer that stopped reading): within `timeout`, else destroyed.
    if (session === undefined) return this.#closedPromise.then(noop);
    return this.#closing('disconnect', options, session, undefined, true);
  }

  /**
   * Sends `shutdown` (the server stops listening) and resolves when it has
   * closed the connection. Unlike {@link disconnect} it reports when it could
   * not ask the server. Calls while a shutdown is in progress return the same
   * promise.
   * @throws OnelineError `ERR_ONELINE_NOT_CONNECTED` (never connected, or `connect()` still in
   *   progress), `ERR_ONELINE_CLOSED` (the connection is gone, or a disconnect is in progress, so the
   *   server was not asked), `ERR_ONELINE_TIMEOUT` (the server did not close within `timeout`; the
   *   socket is destroyed), `ERR_ONELINE_ABORTED` (`signal` fired, or the socket was destroyed on
   *   this side before the server closed it, e.g. by {@link destroy}).
   */
  shutdown(options: WaitOptions = {}): Promise<void> {
    const g = this.#goodbye;
    if (g?.kind === 'shutdown') return g.promise;
    if (g !== undefined) {
      return Promise.reject(new OnelineError('ERR_ONELINE_CLOSED', 'shutdown(): a disconnect is in progress; the server was not asked to shut down'));
    }
    let session: ClientSession;
    try {
      session = this.#ready('shutdown()');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#startGoodbye('shutdown', session, options);
  }

  /**
   * Closes the connection at once without a protocol goodbye; a `connect()` in
   * progress (retries included) rejects with `ERR_ONELINE_ABORTED`, waiting
   * calls reject with `ERR_ONELINE_CLOSED`, a `shutdown()` in progress with
   * `ERR_ONELINE_ABORTED`, and a `disconnect()` in progress resolves.
   * Idempotent; safe to call any time. Never throws.
   */
  destroy(): void {
    this.#connecting?.abort(new Error('destroy() was called while connecting'));
    this.#destroyLocal('destroy() was called');
  }

  /**
   * For `await using client = new OnelineClient(...)`: at the end of the
   * scope, {@link disconnect} (destroying the socket if the server does not
   * close it within `timeout`), then resolves once the socket is closed.
   * Never throws.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposing ??= this.#dispose().finally(() => {
      this.#disposing = undefined;
    });
    return this.#disposing;
  }

  async #dispose(): Promise<void> {
    try {
      await this.disconnect();
    } catch {
      // Timed out (the socket is destroyed): nothing to report from a dispose.
    }
    this.destroy();
    await this.#closedPromise;
  }

  #startGoodbye(kind: Goodbye['kind'], session: ClientSession, options: WaitOptions): Promise<void> {
    this.#write(session.close(kind));
    // Registered before waiting: an aborted signal settles the wait at once, and that clears it.
    const g: Goodbye = { kind, session, plain: isPlain(options), promise: Promise.resolve() };
    this.#goodbye = g;
    g.promise = this.#closing(kind, options, session, () => {
      if (this.#goodbye === g) this.#goodbye = undefined;
    });
    return g.promise;
  }

  /**
   * Resolves once the connection of `session` is closed: for a `shutdown`,
   * rejects instead when this side destroyed it first. On a timeout or an
   * abort, destroys the socket and rejects.
   */
  #closing(kind: Goodbye['kind'], options: WaitOptions, session: ClientSession, onDone?: () => void, alreadyGone = false): Promise<void> {
    const closed = this.#closedPromise; // this session's: it is the current one
    const timeout = options.timeout ?? this.#opts.timeout;
    const signal = options.signal;
    return new Promise<void>((resolve, reject) => {
      // Its own timer, not the connection's deadline timer: that one is cleared when the
      // session ends (a FIN), and the socket may stay open long after (writes not flushed).
      let deadline: NodeJS.Timeout | undefined;
      let finished = false;
      const done = (err?: OnelineError) => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        onDone?.();
        if (err === undefined) resolve();
        else {
          this.#destroyLocal(`${kind}() ${err.code === 'ERR_ONELINE_TIMEOUT' ? 'timed out' : 'was aborted'}`, session);
          // The server had already closed the connection: nothing failed, the socket just lingered.
          if (alreadyGone && err.code === 'ERR_ONELINE_TIMEOUT') resolve();
          else reject(err);
        }
      };
      const onAbort = () => done(abortError(signal!));
      void closed.then(() =>
        done(
          kind === 'shutdown' && this.#destroyed === session
            ? new OnelineError('ERR_ONELINE_ABORTED', 'shutdown(): the connection was destroyed on this side (destroy()) before the server closed it; the server may not have shut down')
            : undefined,
        ),
      );
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout > 0) {
        deadline = setTimeout(() => done(new OnelineError('ERR_ONELINE_TIMEOUT', `${kind}: the server did not close the connection within ${timeout} ms`)), timeout);
      }
    });
  }

  /** Destroys the socket of `session` (the current one by default); waiting calls fail with `ERR_ONELINE_CLOSED` saying why. */
  #destroyLocal(why: string, session: ClientSession | undefined = this.#session): void {
    if (session === undefined || session !== this.#session) return;
    if (session.state !== 'closed') {
      this.#destroyed = session;
      this.#failSession(session, new OnelineError('ERR_ONELINE_CLOSED', `the connection was destroyed on this side: ${why}`, { origin: 'local' }));
    }
    this.#socket?.destroy();
  }

  /** Async iteration over incoming lines; ends cleanly when the connection closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ResponseLine, void, undefined> {
    if (this.#session === undefined) return;
    for (;;) {
      try {
        yield await this.recv({ timeout: 0 });
      } catch (err) {
        if (isOnelineError(err, 'ERR_ONELINE_CLOSED')) return;
        throw err;
      }
    }
  }

  // A wait gave up (timeout or abort).
  #giveUp(p: Pending, error: OnelineError): void {
    const session = this.#session;
    if (session !== undefined && session.state !== 'closed') {
      const actions = session.abandon(p, error);
      for (const a of actions) this.#onSessionAction(session, a);
    }
    if (error.code === 'ERR_ONELINE_TIMEOUT' && clientChannels.timeout.hasSubscribers) {
      clientChannels.timeout.publish({ client: this, command: p.command, timeout: p.timeout });
    }
    p.settle(error);
    this.#timer.prune();
  }

  // A request got its whole answer.
  // (Settled deadlines are dropped and reading resumed once per socket read, not per answer.)
  #answered(p: Pending): void {
    if (clientChannels.answer.hasSubscribers) clientChannels.answer.publish({ client: this, command: p.command, lines: p.got.length });
  }

  #pending(
    mode: CollectMode,
    command: Payload | undefined,
    arg: number | ((l: ResponseLine) => boolean),
    options: WaitOptions,
  ): Pending {
    const timeout = options.timeout ?? this.#opts.timeout;
    // Not frozen (readonly by type): one object shape for shared and own specs keeps the hot path monomorphic.
    let spec: PendingSpec | undefined;
    if (arg === 1 && timeout === this.#opts.timeout) {
      spec = this.#sharedSpecs.get(mode);
      if (spec === undefined) this.#sharedSpecs.set(mode, (spec = { owner: this.#owner, mode, arg, timeout }));
    } else spec = { owner: this.#owner, mode, arg, timeout };
    const p = new Pending(spec, command, options.signal);
    if (options.signal?.aborted) p.settle(abortError(options.signal));
    return p;
  }

  #track(p: Pending): void {
    if (p.timeout > 0) {
      // Whole ms (a small integer, see Pending.at); never earlier than asked.
      p.at = Math.ceil(this.#now() + p.timeout);
      this.#timer.add(p);
    }
  }

  #ready(what: string): ClientSession {
    const session = this.#session;
    if (session === undefined) throw notConnected(what);
    if (session.state === 'connecting' || session.state === 'handshake') {
      throw new OnelineError('ERR_ONELINE_NOT_CONNECTED', `${what}: the client is not connected yet (connect() is in progress)`);
    }
    if (session.state !== 'ready') {
      const why = session.error !== undefined ? `: ${session.error.message}` : session.state === 'closing' ? ': a disconnect or shutdown is in progress' : '';
      throw new OnelineError('ERR_ONELINE_CLOSED', `${what}: the connection is closed${why}`);
    }
    return session;
  }

  #maybeResume(session: ClientSession): void {
    const s = this.#socket;
    if (s !== undefined && this.#session === session && s.isPaused() && !session.overBudget) {
      s.resume();
      this.#paused = false;
    }
  }
}

