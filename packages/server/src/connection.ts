/**
 * One client connection: the I/O shell around a pure `ServerSession`.
 *
 * The session decides the order of work, what is written and when the
 * connection ends; this shell moves bytes between the socket and the
 * session, runs the user's handler when the session hands out a command,
 * and owns the two timers (handlerTimeout, and one progress timer that is
 * the idle timeout while serving and `closeGrace` while closing). `pump()`
 * asks the session what to do until it has to wait; everything else here is
 * an event handler that feeds the session and pumps again.
 */
import type net from 'node:net';
import { OnelineError, isOnelineError, type Command, type Payload, type ResolvedLogger, type ServerSession, type ServerState } from '@socket-oneline/protocol';
import {
  HandlerCall,
  checkResult,
  handlerError,
  isThenable,
  type CallTarget,
  type ClientInfo,
  type CommandHandler,
  type HandlerResult,
} from './handler.js';

/** Why a client left. */
export type DisconnectReason =
  | 'disconnect'
  | 'shutdown'
  | 'client-closed'
  | 'reset'
  | 'idle-timeout'
  | 'first-command-timeout'
  | 'server-close';

/** What a connection needs from its server (kept off the server's public type). */
export interface ConnectionHost {
  readonly handler: CommandHandler;
  readonly idleTimeout: number;
  readonly handlerTimeout: number;
  readonly closeGrace: number;
  readonly drainTimeout: number;
  readonly firstCommandTimeout: number;
  readonly keepAliveDelay: number;
  readonly log: ResolvedLogger;
  report(err: OnelineError): void;
  command(command: Command, client: ClientInfo): void;
  /** The connection stopped serving: free the slot. */
  released(conn: Connection, reason: DisconnectReason): void;
  /** The socket is closed. */
  gone(conn: Connection): void;
  /** The client sent `shutdown`. */
  shutdown(): void;
}

// Pieces (of up to 64 KiB) the kernel may take at once in a row before the connection lets the
// event loop run; a bound on how long one fast reader holds the process.
const SYNC_PIECES = 16;

const kConnection = Symbol('oneline.connection');
type Owned = net.Socket & { [kConnection]: Connection };

// Socket listeners are module-level functions (one set for every socket),
// reaching their connection through a symbol on the socket.
function onSocketData(this: Owned, chunk: Buffer): void {
  this[kConnection].onData(chunk);
}
function onSocketEnd(this: Owned): void {
  this[kConnection].onEnd();
}
function onSocketError(this: Owned, err: NodeJS.ErrnoException): void {
  this[kConnection].onError(err);
}
function onSocketClose(this: Owned): void {
  this[kConnection].onClose();
}

/** One client connection. Internal to the server package. */
export class Connection implements CallTarget {
  readonly info: ClientInfo;
  private reason: DisconnectReason | undefined;
  private call: HandlerCall | undefined; // the async handler in progress
  private handlerTimer: NodeJS.Timeout | undefined;
  // One progress timer: fires after `timerMs` without the session's progress counter moving.
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;
  private seen = -1;
  // When the progress timer last saw progress (the shell owns the clock).
  private progressAt = 0;
  // Handlers waiting for the output to fall to the high-water mark (context.drained()).
  private drainWaiters: (() => void)[] = [];
  private flushQueued = false;
  private resumeQueued = false;
  // What the last adjust() acted on (reading wanted, session state).
  private adjustedWants: boolean | undefined;
  private adjustedState: ServerState | undefined;
  private firstTimer: NodeJS.Timeout | undefined;
  private readonly onWritten: () => void;
  // Callbacks still to come of writes the kernel took at once (already counted as written).
  private syncWrites = 0;
  // The settle callbacks of every async call when there is no handlerTimeout (see wait()).
  private readonly onResolved: (value: unknown) => void;
  private readonly onRejected: (err: unknown) => void;

  constructor(
    private readonly host: ConnectionHost,
    readonly socket: net.Socket,
    readonly session: ServerSession,
    isTls: boolean,
  ) {
    this.info = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, tls: isTls };
    this.onWritten = () => {
      // Writes the kernel took at once were counted when they were made (see flush()).
      if (this.syncWrites > 0) {
        this.syncWrites--;
        return;
      }
      this.session.written();
      this.pump();
    };
    this.onResolved = (v) => {
      const call = this.call;
      if (call !== undefined) this.settle(call, true, v);
    };
    this.onRejected = (err) => {
      const call = this.call;
      if (call !== undefined) this.settle(call, false, handlerError(err, 'rejected'));
    };
  }

  start(): void {
    const s = this.socket as Owned;
    s[kConnection] = this;
    s.setNoDelay(true);
    if (this.host.keepAliveDelay > 0) s.setKeepAlive(true, this.host.keepAliveDelay);
    if (this.host.firstCommandTimeout > 0) this.firstTimer = setTimeout(onFirstCommandTimer, this.host.firstCommandTimeout, this);
    s.on('data', onSocketData);
    s.on('end', onSocketEnd);
    s.on('error', onSocketError);
    s.on('close', onSocketClose);
    this.pump();
  }

  /** Queues an answer (a handler's reply or `server.send()`), written with the current batch; false once output is over the high-water mark. */
  answer(line: Payload): boolean {
    this.session.send(line);
    this.flushSoon();
    return this.session.writable;
  }

  /** Resolves once the output is at or below the high-water mark (at once if it is), or the connection is over. */
  drained(): Promise<void> {
    if (this.session.writable || !this.session.canSend) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** A reply after its handler finished. */
  late(): void {
    this.host.log.warn({}, 'reply() after the handler finished or timed out: dropped');
  }

  /** The server ends this connection (server.close(), shutdown): a running handler may finish, output is flushed. */
  close(reason: DisconnectReason): void {
    if (!this.session.serving) return;
    this.reason ??= reason;
    // A running handler is told to wrap up; what it still answers is delivered.
    this.call?.wrapUp(new OnelineError('ERR_ONELINE_CLOSED', `the connection is closing (${reason})`, { origin: 'local' }));
    this.session.close();
    this.pump();
  }

  /** Destroys the socket now: what was not written is lost. */
  destroy(): void {
    this.socket.destroy();
  }

  onData(chunk: Buffer): void {
    this.session.receive(chunk);
    this.pump();
    if (this.firstTimer !== undefined && this.session.linesReceived > 0) {
      clearTimeout(this.firstTimer);
      this.firstTimer = undefined;
    }
  }

  /** @internal No complete line within firstCommandTimeout of taking the slot. */
  onFirstCommandTimer(): void {
    this.firstTimer = undefined;
    if (this.session.linesReceived > 0 || !this.session.serving) return;
    this.host.log.info({ ms: this.host.firstCommandTimeout }, 'no first command in time: closing');
    this.close('first-command-timeout');
  }

  onEnd(): void {
    // A half-close: commands already received are still answered.
    this.reason ??= 'client-closed';
    const tail = this.session.receiveEnd();
    if (tail !== undefined) this.host.log.warn({ length: tail.length }, 'client closed mid-line; unterminated tail dropped');
    this.pump();
  }

  onError(err: NodeJS.ErrnoException): void {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      this.host.log.info({ code: err.code }, 'client connection reset');
      // The client is gone: free the slot now rather than a turn later at 'close'.
      this.release(this.reason ?? 'reset');
      return; // 'close' follows
    }
    this.host.report(new OnelineError('ERR_ONELINE_SOCKET', `client socket error: ${err.message}`, { cause: err, origin: 'remote' }));
  }

  onClose(): void {
    this.session.gone();
    for (const w of this.drainWaiters.splice(0)) w();
    clearTimeout(this.timer);
    clearTimeout(this.handlerTimer);
    clearTimeout(this.firstTimer);
    if (this.call !== undefined) {
      this.call.abort(new OnelineError('ERR_ONELINE_CLOSED', 'the client connection is closed', { origin: 'remote' }));
      this.call = undefined;
    }
    this.release(this.reason ?? 'reset');
    this.host.gone(this);
  }

  /** Asks the session what to do until it has to wait, then writes, adjusts reading and timers. */
  private pump(): void {
    const session = this.session;
    for (let taken = 0; ; ) {
      let step = session.next();
      for (; typeof step !== 'string'; step = session.next()) this.run(step);
      while (step === 'disconnect' || step === 'shutdown' || step === 'end') {
        if (step === 'end') {
          this.socket.end();
        } else {
          this.reason ??= step;
          if (step === 'shutdown') this.host.shutdown();
        }
        step = session.next();
      }
      // While an async handler runs, answers wait for the end of this turn:
      // a pipelined batch of async commands goes out in one write.
      if (step === 'handling') {
        this.flushSoon();
        break;
      }
      // Written at once: the session may go on now (more commands, reading) rather than a turn
      // later. A loop, not recursion: the kernel may take many pieces in a row.
      if (!this.flush()) break;
      // A reader as fast as the kernel would otherwise keep this loop (and the whole process:
      // timers, other sockets, close()) busy for a whole stream of answers: after a run of pieces
      // taken at once, go on in a later turn of the event loop.
      if (++taken >= SYNC_PIECES) {
        this.resumeSoon();
        break;
      }
    }
    if (this.drainWaiters.length > 0 && (session.writable || !session.canSend)) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
    if (!session.serving) this.release(this.reason ?? 'reset');
    this.adjust();
  }

  /** Runs the user's handler for one command; settles the session at once unless it returned a promise. */
  private run(command: Command): void {
    const host = this.host;
    host.command(command, this.info);
    const call = new HandlerCall(this);
    let result: HandlerResult | Promise<HandlerResult>;
    try {
      result = host.handler(command, call.reply, call);
    } catch (err) {
      call.finish();
      host.report(handlerError(err, 'threw'));
      this.session.done();
      return;
    }
    let async: boolean;
    try {
      async = isThenable(result);
    } catch (err) {
      // A foreign thenable whose `then` cannot even be read.
      call.finish();
      host.report(handlerError(err, 'returned an unusable thenable'));
      this.session.done();
      return;
    }
    if (!async) {
      call.finish();
      this.deliver(result as HandlerResult);
      this.session.done();
      return;
    }
    // Promise.resolve adopts a foreign thenable in a later job: its `then` cannot
    // re-enter this loop synchronously, and a throwing `then` becomes a rejection.
    this.wait(call, Promise.resolve(result as PromiseLike<HandlerResult>));
  }

  /** An async handler: wait for it (kept out of run() so the sync path allocates no closures). */
  private wait(call: HandlerCall, result: PromiseLike<HandlerResult>): void {
    this.call = call;
    const ms = this.host.handlerTimeout;
    if (ms === 0) {
      // Without a handler timeout a call is given up only with its
      // connection, and no call starts after that: the one promise still
      // pending is always the current call's. So two callbacks made once
      // serve every call (no closures per command).
      result.then(this.onResolved, this.onRejected);
      return;
    }
    // A timed-out call's promise may settle while the next call runs: each call gets its own callbacks.
    this.handlerTimer = setTimeout(() => {
      const err = new OnelineError('ERR_ONELINE_TIMEOUT', `no answer within ${ms} ms`);
      this.settle(call, false, handlerError(err, 'timed out'), err);
    }, ms);
    result.then(
      (v) => this.settle(call, true, v),
      (err: unknown) => this.settle(call, false, handlerError(err, 'rejected')),
    );
  }

  private settle(call: HandlerCall, ok: boolean, value: unknown, abortReason?: OnelineError): void {
    if (this.call !== call) return; // already timed out, or the connection is gone
    this.call = undefined;
    clearTimeout(this.handlerTimer);
    if (abortReason !== undefined) call.abort(abortReason);
    else call.finish();
    if (ok) this.deliver(value as HandlerResult);
    else this.host.report(value as OnelineError);
    this.session.done();
    this.pump();
  }

  /** Queues a handler's result; a refused result is reported, never thrown at the client. */
  private deliver(result: HandlerResult): void {
    if (result === undefined || result === null || !this.session.canSend) return;
    try {
      // One line goes straight to the session (it checks for LF once); an
      // array is checked whole first, so a bad line sends nothing.
      if (typeof result !== 'string') checkResult(result);
      if (typeof result === 'string' || result instanceof Uint8Array) this.session.send(result);
      else for (const l of result) this.session.send(l);
    } catch (err) {
      this.host.report(
        isOnelineError(err)
          ? new OnelineError(err.code, `handler result refused: ${err.message}`, { cause: err })
          : handlerError(err, 'returned an unusable result'),
      );
    }
  }

  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    process.nextTick(flushQueuedConnection, this);
  }

  private resumeSoon(): void {
    if (this.resumeQueued) return;
    this.resumeQueued = true;
    setImmediate(resumeConnection, this);
  }

  /** @internal Goes on after a run of writes the kernel took at once. */
  resumeNow(): void {
    this.resumeQueued = false;
    if (!this.socket.destroyed) this.pump();
  }

  /** @internal Runs the deferred flush. */
  flushNow(): void {
    this.flushQueued = false;
    if (this.flush()) this.pump();
  }

  /**
   * Hands the session's output to the socket: one piece at a time (the next
   * goes when this one is written). Returns true when the kernel took the
   * piece at once (nothing left in the socket's buffer): it is counted as
   * written now, so the common case (one answer, a socket that keeps up)
   * needs no turn of the event loop between writing and going on.
   */
  private flush(): boolean {
    const s = this.socket;
    if (s.destroyed) return false;
    const data = this.session.output();
    if (data === undefined) return false;
    s.write(data, this.onWritten);
    if (s.writableLength !== 0 || s.destroyed) return false;
    this.syncWrites++;
    this.session.written();
    return true;
  }

  private release(reason: DisconnectReason): void {
    this.host.released(this, reason);
  }

  /** Reading follows the session's input budget; the progress timer follows its state. */
  private adjust(): void {
    const s = this.socket;
    const session = this.session;
    const wants = session.wantsData;
    const state = session.state;
    // Most pumps (one per async command) change neither: nothing to do.
    if (wants === this.adjustedWants && state === this.adjustedState) return;
    this.adjustedWants = wants;
    this.adjustedState = state;
    if (wants) {
      if (s.isPaused()) s.resume();
    } else if (!s.isPaused()) {
      s.pause();
    }
    let ms = 0;
    if (state === 'open' || state === 'running') ms = this.host.idleTimeout;
    else if (state !== 'closed' && state !== 'error') ms = this.host.closeGrace;
    if (ms !== this.timerMs) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerMs = ms;
      if (ms > 0) {
        this.seen = session.progress;
        this.progressAt = Date.now();
        this.timer = setTimeout(onProgressTimer, ms, this);
        if (state !== 'open' && state !== 'running') this.timer.unref();
      }
    }
  }

  /** @internal The progress timer fired: act only if nothing moved for a whole period. */
  onTimer(): void {
    const session = this.session;
    const state = session.state;
    const now = Date.now();
    if (session.progress !== this.seen || state === 'running') {
      // Progress (or our own handler at work, which the idle timeout does not count): wait another period.
      this.seen = session.progress;
      this.progressAt = now;
      this.timer?.refresh();
      return;
    }
    if (session.writing && now - this.progressAt < this.host.drainTimeout) {
      // A write is waiting on the peer. A slow reader's kernel reports our
      // writes done only after about half its buffers drained, seconds apart:
      // that is not a stall yet.
      this.timer?.refresh();
      return;
    }
    this.timer = undefined;
    this.timerMs = 0;
    if (state === 'open') {
      this.host.log.info({ ms: this.host.idleTimeout }, 'idle timeout: no progress');
      this.close('idle-timeout');
      return;
    }
    // Closing, or half-closed with a handler making no progress: give up.
    this.host.log.info({ ms: this.host.closeGrace, state }, 'closeGrace passed without progress: closing the socket');
    const call = this.call;
    if (call !== undefined) {
      this.call = undefined;
      call.abort(new OnelineError('ERR_ONELINE_CLOSED', `the handler made no progress for ${this.host.closeGrace} ms while the connection was closing`));
    }
    this.destroy();
  }
}

function resumeConnection(conn: Connection): void {
  conn.resumeNow();
}

function flushQueuedConnection(conn: Connection): void {
  conn.flushNow();
}

function onFirstCommandTimer(conn: Connection): void {
  conn.onFirstCommandTimer();
}

function onProgressTimer(conn: Connection): void {
  conn.onTimer();
}
