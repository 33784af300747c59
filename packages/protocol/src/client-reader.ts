/**
 * The readers of `ClientSession`: what a response line is, how a consumer
 * takes lines, and `RequestReader`, the base class that carries a request's
 * place in the response stream (the session's bookkeeping lives on it, so a
 * request costs one object).
 */
import type { OnelineError } from './errors.js';
import type { InvalidReason } from './server-session.js';

/** A response line as handed to readers. */
export interface ResponseLine {
  /** Decoded text ('' for a too-long line). */
  readonly text: string;
  /** Raw bytes without LF (and stripped CR); empty for a too-long line. */
  readonly bytes: Buffer;
  /** True when undecodable or too long. */
  readonly invalid: boolean;
  /** Why it is invalid; undefined when valid. */
  readonly reason: InvalidReason | undefined;
  /** Length in bytes (`bytes.length`, or the discarded length when too long). */
  readonly length: number;
}

/**
 * A consumer of response lines. The session gives each line to the oldest
 * reader. For a reader whose answer ends at a line the reader decides
 * (`end: 'reader'`, and raw reads), `onLine` returns true when satisfied. For
 * `end: 'pong'` the session ends the answer at the first `pong` line (which
 * is still passed to `onLine`); the return value is ignored.
 */
export interface LineReader {
  onLine(line: ResponseLine): boolean;
  /** The reader will get no more lines: the stream ended, failed, or was realigned past its answer. */
  onError(error: OnelineError): void;
}

/** Per-request caps (defaults: the session's `maxResponseLines` / `maxResponseBytes`). */
export interface RequestLimits {
  /** Most lines the answer may have (a barrier's `pong` not counted). */
  maxLines?: number;
  /** Most bytes the answer's lines may total. */
  maxBytes?: number;
}

/** A request's place in the response stream, from {@link ClientSession.request}; pass it to {@link ClientSession.abandon}. */
export interface RequestTicket {
  /** True once the request's answer has been taken or discarded. */
  readonly finished: boolean;
}

/** @internal */
export type SlotEnd = 'reader' | 'pong' | 'raw';
/** @internal */
export type SlotState = 'live' | 'done' | 'abandoned' | 'fog';
/** @internal */
export const STATES: readonly SlotState[] = ['live', 'done', 'abandoned', 'fog'];
/** @internal */
export const LIVE_CODE = 0;
/** @internal */
export const DONE_CODE = 1;
/** @internal */
export const PONG_END_BITS = 1 << 2; // ENDS.indexOf('pong') << 2
/** @internal */
export const ENDS: readonly SlotEnd[] = ['reader', 'pong', 'raw'];
/** @internal */
export interface SlotLimits {
  readonly maxLines: number;
  readonly maxBytes: number;
}
/** @internal Flag: no caps at all (raw reads, realignment pings). */
export const UNLIMITED_BIT = 1 << 6;
/** @internal Flag: caps of its own, kept by the session (rare, so not a field on every reader). */
export const OWN_LIMITS_BIT = 1 << 7;

/**
 * Base class of the readers given to {@link ClientSession.request}: the
 * session keeps the request's place and bookkeeping on the reader itself, so
 * a request costs one object on the hot path. The `slot*` fields belong to
 * the session; subclasses must not touch them.
 */
export abstract class RequestReader implements LineReader, RequestTicket {
  // Few fields, packed: 200,000 requests in flight make every byte count.
  /** @internal */ slotLines = 0;
  /** @internal */ slotBytes = 0;
  /** @internal */ slotSeq = -1;
  /** @internal Bits 0-1 state, 2-3 end, 4 fog end, 5 ping only, 6 unlimited, 7 own limits. */ slotFlags = 0;

  abstract onLine(line: ResponseLine): boolean;
  abstract onError(error: OnelineError): void;

  get finished(): boolean {
    return (this.slotFlags & 3) === DONE_CODE;
  }

  /** @internal */
  get slotState(): SlotState {
    return STATES[this.slotFlags & 3]!;
  }
  /** @internal */
  set slotState(v: SlotState) {
    this.slotFlags = (this.slotFlags & ~3) | STATES.indexOf(v);
  }
  /** @internal */
  get slotEnd(): SlotEnd {
    return ENDS[(this.slotFlags >> 2) & 3]!;
  }
  /** @internal */
  set slotEnd(v: SlotEnd) {
    this.slotFlags = (this.slotFlags & ~12) | (ENDS.indexOf(v) << 2);
  }
  /** @internal This slot's pong ends a realignment that started before it. */
  get slotFogEnd(): boolean {
    return (this.slotFlags & 16) !== 0;
  }
  /** @internal */
  set slotFogEnd(v: boolean) {
    this.slotFlags = v ? this.slotFlags | 16 : this.slotFlags & ~16;
  }
  /** @internal A `ping` request: its whole answer is the pong. */
  get slotPingOnly(): boolean {
    return (this.slotFlags & 32) !== 0;
  }
  /** @internal */
  set slotPingOnly(v: boolean) {
    this.slotFlags = v ? this.slotFlags | 32 : this.slotFlags & ~32;
  }
}

/** @internal */
export type Slot = RequestReader;

// A raw read (no command of its own).
/** @internal */
export class RawSlot extends RequestReader {
  constructor(private readonly reader: LineReader) {
    super();
    this.slotEnd = 'raw';
    this.slotFlags |= UNLIMITED_BIT;
  }
  onLine(line: ResponseLine): boolean {
    return this.reader.onLine(line);
  }
  onError(error: OnelineError): void {
    this.reader.onError(error);
  }
}

// The realignment ping: discards up to its pong.
/** @internal */
export class PingSlot extends RequestReader {
  constructor() {
    super();
    this.slotEnd = 'pong';
    this.slotFlags |= UNLIMITED_BIT;
    this.slotState = 'abandoned';
    this.slotFogEnd = true;
  }
  onLine(): boolean {
    return true;
  }
  onError(): void {}
}
