/**
 * Admission: what happens to a connection before it holds the slot, and to
 * the ones turned away. A hostile network must not be able to exhaust the
 * server through them, so every set here has a cap and every wait a hard
 * deadline that the peer's traffic does not extend.
 *
 * - Turned away (busy, or too many pending handshakes): closed with a FIN,
 *   what the peer already sent is drained (closing with unread bytes would
 *   send a reset, which clients report less clearly), and destroyed at the
 *   deadline. Beyond `maxRejecting` closing at once, destroyed at once.
 * - TLS: the server accepts plain TCP and hands admitted sockets to a TLS
 *   server itself, so a busy or excess connection costs no TLS work at all;
 *   pending handshakes are tracked by socket object (freed the moment the
 *   socket closes), capped, and cut at a hard deadline.
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { TLS_REQUIRED_LINE } from '@socket-oneline/protocol';

/** Limits of {@link Admission}. */
export interface AdmissionLimits {
  /** Hard deadline for a turned-away connection to finish closing, in ms. */
  rejectDeadline: number;
  /** Turned-away connections allowed to be closing at once; beyond it they are destroyed at once. */
  maxRejecting: number;
  /** TLS handshakes allowed in progress at once; beyond it new connections are turned away before any TLS work. */
  maxPendingHandshakes: number;
  /** Hard deadline for a TLS handshake, in ms (the peer's traffic does not extend it). */
  handshakeTimeout: number;
}

const TLS_HANDSHAKE = 0x16;
// What a plain-text client on a TLS port reads before the close: the line our
// client maps to ERR_ONELINE_TLS (one definition, in the protocol package);
// the original's client sees an answer that is not `pong` and fails at once.
const PLAIN_ON_TLS = `${TLS_REQUIRED_LINE}\n`;

function destroyRejected(socket: net.Socket): void {
  socket.destroy();
}

/** Tracks turned-away and handshaking connections, each set capped. */
export class Admission {
  private readonly rejecting = new Set<net.Socket>();
  private readonly handshaking = new Map<net.Socket, NodeJS.Timeout>();

  constructor(private readonly limits: AdmissionLimits) {}

  /** Connections being turned away right now. */
  get rejectingCount(): number {
    return this.rejecting.size;
  }

  /** TLS handshakes in progress right now. */
  get pendingHandshakes(): number {
    return this.handshaking.size;
  }

  /** The hard TLS handshake deadline in ms. */
  get handshakeTimeout(): number {
    return this.limits.handshakeTimeout;
  }

  /** True when another handshake may start. */
  get handshakeRoom(): boolean {
    return this.handshaking.size < this.limits.maxPendingHandshakes;
  }

  /**
   * Turns a connection away without sending data: FIN, drain, destroyed at
   * the hard deadline; destroyed at once when too many are closing already.
   */
  turnAway(socket: net.Socket): void {
    socket.on('error', ignore);
    if (this.rejecting.size >= this.limits.maxRejecting) {
      socket.destroy();
      return;
    }
    this.rejecting.add(socket);
    const timer = setTimeout(destroyRejected, this.limits.rejectDeadline, socket);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      this.rejecting.delete(socket);
    });
    socket.end();
    socket.resume();
  }

  /**
   * Starts the server side of a TLS handshake on an accepted TCP socket by
   * handing it to `tlsServer` (a `tls.Server` that never listens itself;
   * injecting a connection is its documented use). Tracked by socket object
   * until it closes or its handshake completes ({@link secured}), and
   * destroyed at the hard deadline.
   */
  handshake(raw: net.Socket, tlsServer: tls.Server): void {
    const timer = setTimeout(destroyRejected, this.limits.handshakeTimeout, raw);
    timer.unref();
    this.handshaking.set(raw, timer);
    // Until TLS owns the socket, its errors (a reset while we wait for the first byte) are ours to absorb.
    raw.on('error', ignore);
    raw.once('close', () => this.forget(raw));
    // Look at the first byte before any TLS work: a TLS record starts with a
    // handshake (0x16). Anything else is a plain-text client on a TLS port;
    // it is told so in one plain line instead of a silent close that would
    // read as "busy". TLS takes the byte back from the socket's buffer.
    // A peer that half-closes before sending a byte will never start TLS.
    const onEnd = (): void => {
      this.forget(raw);
      raw.destroy();
    };
    raw.once('end', onEnd);
    raw.once('data', (first: Buffer) => {
      raw.off('end', onEnd);
      raw.pause();
      if (first[0] !== TLS_HANDSHAKE) {
        this.forget(raw);
        raw.on('error', ignore);
        raw.end(PLAIN_ON_TLS);
        setTimeout(destroyRejected, this.limits.rejectDeadline, raw).unref();
        this.onPlainText?.();
        return;
      }
      raw.unshift(first);
      tlsServer.emit('connection', raw);
    });
  }

  /** Called when a plain-text client is told the port speaks TLS. */
  onPlainText: (() => void) | undefined;

  /** A handshake completed: stop tracking (and timing) its TCP socket. */
  secured(socket: tls.TLSSocket): void {
    for (const raw of this.handshaking.keys()) {
      // Both ends are alive now, so the addresses are there to match on.
      if (raw.remotePort === socket.remotePort && raw.remoteAddress === socket.remoteAddress) {
        this.forget(raw);
        return;
      }
    }
  }

  private forget(raw: net.Socket): void {
    const timer = this.handshaking.get(raw);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.handshaking.delete(raw);
  }

  /** Ends everything in progress (server closing). */
  closeAll(): void {
    for (const [raw, timer] of this.handshaking) {
      clearTimeout(timer);
      raw.destroy();
    }
    this.handshaking.clear();
    for (const s of this.rejecting) s.destroy();
  }
}

function ignore(): void {
  /* errors of sockets we are discarding are of no interest */
}

/**
 * Rate-limits a noisy log line: at most `max` per `windowMs`; the next line
 * after a window with suppressed lines first logs how many were suppressed.
 */
export class LogLimiter {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly summary: (suppressed: number) => void,
  ) {}

  /** True when this occurrence may be logged. */
  allow(now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.flush();
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow < this.max) {
      this.inWindow++;
      return true;
    }
    this.suppressed++;
    return false;
  }

  /** Logs the summary of suppressed lines, if any. */
  flush(): void {
    if (this.suppressed > 0) {
      this.summary(this.suppressed);
      this.suppressed = 0;
    }
  }
}
