/**
 * Line decoder: bytes in, in any chunking; line events out.
 *
 * Theory of operation: the decoder scans each chunk for LF (0x0A). Bytes
 * before a LF that arrived in earlier chunks are held as copies in `pending`,
 * never more than `maxLineLength` of them. As soon as a line is known to be
 * longer than the limit, the held bytes are dropped and the decoder only
 * counts until the next LF, where it emits one `overflow` event. Every
 * decision depends only on the line's total length, never on where chunks
 * were cut, so any chunking of the same bytes gives the same events.
 */
import { OnelineError } from './errors.js';
import { decodeDroppingInvalid, isAscii, isUtf8 } from './utf8.js';

/**
 * Default maximum line length in bytes (the server's command limit): 1 MiB.
 * Real users send one JSON document per line, and the original had no limit
 * at all; with one client served at a time, a generous bound costs one
 * connection's worth of memory, and it still caps what a peer can make us
 * hold. The client reads answers with a larger default
 * (`DEFAULT_CLIENT_MAX_LINE_LENGTH`, 16 MiB): answers are the big side.
 */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
// V8 copies substrings shorter than 13 characters and makes longer ones views
// of their parent; below this length a slice never retains the chunk string.
const SLICE_MAX = 13;
// From this length on, a line is decoded in one pass (see feed()).
const LONG_LINE = 256;


/** Options of {@link LineDecoder}. */
export interface LineDecoderOptions {
  /**
   * Maximum bytes of one line, counting every byte before the LF (including a
   * CR that is then stripped). A positive safe integer.
   * @defaultValue {@link DEFAULT_MAX_LINE_LENGTH} (1048576)
   */
  maxLineLength?: number;
  /**
   * Strip one CR right before the LF, so CR LF input (telnet, many tools)
   * reads the same as LF input.
   * @defaultValue true
   */
  stripCR?: boolean;
}

/** A complete line. */
export interface LineEvent {
  readonly type: 'line';
  /** The line's bytes, without the LF (and without a stripped CR): a new Buffer on each access. */
  readonly bytes: Buffer;
  /** The bytes decoded as UTF-8; for an invalid line, what decodes (undecodable bytes dropped). */
  readonly text: string;
  /** True when `bytes` is not valid UTF-8. */
  readonly invalid: boolean;
  /** `'undecodable'` when invalid, else undefined (shape shared with overflow deliveries). */
  readonly reason: 'undecodable' | undefined;
  /** `bytes.length`. */
  readonly length: number;
}

// Fast ASCII-to-string: Buffer#latin1Slice skips toString's argument
// handling, which is a measurable share of the cost for short lines.
type Slicer = (b: Buffer, start: number, end: number) => string;
const protoSlices = Buffer.prototype as unknown as { latin1Slice?: unknown; utf8Slice?: unknown };
const asciiSlice: Slicer =
  typeof protoSlices.latin1Slice === 'function'
    ? (b, s, e) => (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e)
    : (b, s, e) => b.toString('latin1', s, e);
const utf8Slice: Slicer =
  typeof protoSlices.utf8Slice === 'function'
    ? (b, s, e) => (b as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(s, e)
    : (b, s, e) => b.toString('utf8', s, e);

/**
 * A decoded line: plain data (`JSON.stringify` shows text, invalid, length
 * and reason) that never keeps its socket chunk alive. Valid UTF-8 round-
 * trips, so the bytes of a valid line are re-encoded from its text on
 * access; an invalid line keeps a copy of its bytes (rare).
 */
class DecodedLine implements LineEvent {
  // On the prototype (set below): one field less per line.
  declare readonly type: 'line';
  readonly text: string;
  readonly invalid: boolean;
  readonly length: number;
  readonly #raw: Buffer | undefined;

  constructor(src: Buffer, start: number, end: number, text: string, invalid: boolean) {
    this.text = text;
    this.invalid = invalid;
    this.length = end - start;
    this.#raw = invalid ? Buffer.from(src.subarray(start, end)) : undefined;
  }

  get bytes(): Buffer {
    return this.#raw === undefined ? Buffer.from(this.text, 'utf8') : Buffer.from(this.#raw);
  }

  get reason(): 'undecodable' | undefined {
    return this.invalid ? 'undecodable' : undefined;
  }

  toJSON(): { text: string; invalid: boolean; reason?: 'undecodable'; length: number } {
    return this.invalid
      ? { text: this.text, invalid: true, reason: 'undecodable', length: this.length }
      : { text: this.text, invalid: false, length: this.length };
  }
}
Object.defineProperty(DecodedLine.prototype, 'type', { value: 'line', enumerable: true });

/** A LF-terminated line that was longer than `maxLineLength`; its bytes were discarded. */
export interface OverflowEvent {
  readonly type: 'overflow';
  /** The line's total length in bytes (before the LF). */
  readonly length: number;
}

/** Bytes left without a LF when the stream ended. Never a command. */
export interface IncompleteEvent {
  readonly type: 'incomplete';
  /** The held bytes (empty when `tooLong`). */
  readonly bytes: Buffer;
  /** `bytes` decoded as for {@link LineEvent}. */
  readonly text: string;
  /** True when `bytes` is not valid UTF-8. */
  readonly invalid: boolean;
  /** The tail's total length in bytes. */
  readonly length: number;
  /** True when the tail was already over `maxLineLength` (its bytes were discarded). */
  readonly tooLong: boolean;
}

/** What {@link LineDecoder.push} and {@link LineDecoder.end} return. */
export type DecoderEvent = LineEvent | OverflowEvent | IncompleteEvent;

/** Where {@link LineDecoder.feedTo} hands each event, in order. */
export interface DecoderSink {
  /** One decoded event (a `line` or an `overflow`; `incomplete` only comes from `end()`). */
  onEvent(ev: DecoderEvent): void;
}

/** Appends events to an array (what {@link LineDecoder.feed} does). */
class ArraySink implements DecoderSink {
  constructor(private readonly out: DecoderEvent[]) {}

  onEvent(ev: DecoderEvent): void {
    this.out.push(ev);
  }
}

/**
 * Validates decoder options and fills in defaults.
 * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad value.
 */
export function resolveDecoderOptions(options: LineDecoderOptions = {}): Required<LineDecoderOptions> {
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 1) {
    throw new OnelineError(
      'ERR_ONELINE_INVALID_OPTION',
      `maxLineLength must be a positive safe integer, got ${String(maxLineLength)}`,
    );
  }
  const stripCR = options.stripCR ?? true;
  if (typeof stripCR !== 'boolean') {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `stripCR must be a boolean, got ${typeof stripCR}`);
  }
  return { maxLineLength, stripCR };
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Splits a byte stream into LF-terminated lines. Pure: no I/O, no timers.
 *
 * @example
 * ```ts
 * const d = new LineDecoder();
 * for (const ev of d.push(Buffer.from('ping\r\nhé'))) ...  // one 'line' event: "ping"
 * d.push(Buffer.from('llo\n'));                             // one 'line' event: "héllo"
 * ```
 */
export class LineDecoder {
  /** The effective maximum line length in bytes. */
  readonly maxLineLength: number;
  /** Whether a CR before the LF is stripped. */
  readonly stripCR: boolean;

  // Copies of the current line's bytes from earlier chunks (total <= maxLineLength).
  // Created holding a Buffer (then emptied) so its elements kind never changes.
  private readonly pending: Buffer[] = [EMPTY];
  private pendingLength = 0;
  // While > 0 the current line is over the limit: count only, hold nothing.
  private discardedLength = 0;
  private discarding = false;

  /** @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option. */
  constructor(options: LineDecoderOptions = {}) {
    const resolved = resolveDecoderOptions(options);
    this.maxLineLength = resolved.maxLineLength;
    this.stripCR = resolved.stripCR;
    this.pending.length = 0;
  }

  /** Bytes currently held for an unfinished line (never more than `maxLineLength`). */
  get buffered(): number {
    return this.pendingLength;
  }

  /** True while the current line is over the limit and being discarded. */
  get isDiscarding(): boolean {
    return this.discarding;
  }

  /**
   * Feeds a chunk and returns the events it completes, in order.
   * Never throws for any input.
   */
  push(chunk: Uint8Array): DecoderEvent[] {
    const out: DecoderEvent[] = [];
    this.feed(chunk, out);
    return out;
  }

  /**
   * Like {@link push} but appends the events to `out` (saves an array per chunk
   * on hot paths).
   */
  feed(chunk: Uint8Array, out: DecoderEvent[]): void {
    this.feedTo(chunk, new ArraySink(out));
  }

  /**
   * Like {@link feed} but hands each event to `sink` as soon as it is decoded:
   * nothing is gathered per chunk, so an event the sink does not keep dies
   * young (gathering a whole chunk's events first costs more in garbage
   * collection than decoding them). If `sink` throws, the exception
   * propagates, the chunk's remaining complete lines are dropped and the
   * decoder stays consistent (bytes after the chunk's last LF are held).
   */
  feedTo(chunk: Uint8Array, sink: DecoderSink): void {
    const buf = toBuffer(chunk);
    let start = 0;
    let lf = buf.indexOf(LF, 0);
    if (this.pendingLength !== 0 || this.discarding) {
      if (lf === -1) {
        this.hold(buf, 0);
        return;
      }
      try {
        this.finishCarried(buf, lf, sink);
      } catch (err) {
        this.holdAfterLastLf(buf);
        throw err;
      }
      start = lf + 1;
      lf = buf.indexOf(LF, start);
    }
    if (lf !== -1) {
      // String path: when the chunk is ASCII and its first complete line is
      // not long (typical of pipelined commands), decode the chunk to one
      // string once and find lines with String#indexOf: a native
      // Buffer#indexOf call per line costs more than a short line itself.
      // Long lines skip it: the chunk copy would double their decoding work.
      let ascii: boolean | undefined;
      if (lf - start < LONG_LINE && buf.length - start >= 64) ascii = isAscii(buf);
      try {
        if (ascii === true) {
          start = this.scanString(buf, asciiSlice(buf, 0, buf.length), start, lf, sink);
        } else {
          start = this.scanBytes(buf, start, lf, sink, ascii);
        }
      } catch (err) {
        this.holdAfterLastLf(buf);
        throw err;
      }
    }
    if (start < buf.length) this.hold(buf, start);
  }

  /**
   * Lines of an ASCII chunk, found in `str` (the whole chunk decoded once);
   * `lf` is the first LF at or after `start`. Returns where the tail begins.
   * Only lines shorter than V8's sliced-string minimum are cut from `str`
   * (longer ones are copied from `buf`), so no line keeps the chunk string alive.
   */
  private scanString(buf: Buffer, str: string, start: number, lf: number, sink: DecoderSink): number {
    const stripCR = this.stripCR;
    // Lines up to this length are cut from `str`; longer ones (or over a tiny limit) go the slow way.
    const shortMax = Math.min(SLICE_MAX - 1, this.maxLineLength);
    while (lf !== -1) {
      const len = lf - start;
      if (len <= shortMax) {
        const end = stripCR && len > 0 && str.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
        sink.onEvent(new DecodedLine(buf, start, end, str.slice(start, end), false));
      } else {
        sink.onEvent(this.longLine(buf, start, lf, true));
      }
      start = lf + 1;
      lf = str.indexOf('\n', start);
    }
    return start;
  }

  /** Lines of any chunk, found with Buffer#indexOf. Returns where the tail begins. */
  private scanBytes(buf: Buffer, start: number, lf: number, sink: DecoderSink, ascii: boolean | undefined): number {
    // Whether the whole chunk is ASCII (undefined until a short line needs
    // it): one native scan then spares every line its own check.
    while (lf !== -1) {
      if (lf - start >= LONG_LINE && ascii === undefined) {
        // Long line: decode and validate in one pass (utf8Slice, then a
        // cheap U+FFFD check) rather than an ASCII scan plus a copy.
        sink.onEvent(this.longLine(buf, start, lf, false));
      } else {
        ascii ??= isAscii(buf);
        sink.onEvent(this.longLine(buf, start, lf, ascii));
      }
      start = lf + 1;
      lf = buf.indexOf(LF, start);
    }
    return start;
  }

  /** After a sink threw: the chunk's remaining complete lines are dropped, its tail is kept. */
  private holdAfterLastLf(buf: Buffer): void {
    const tail = buf.lastIndexOf(LF) + 1;
    if (tail < buf.length) this.hold(buf, tail);
  }

  /** A line that may be over the limit (checked here, off the short-line path). */
  private longLine(buf: Buffer, start: number, lf: number, ascii: boolean): LineEvent | OverflowEvent {
    const len = lf - start;
    return len > this.maxLineLength ? { type: 'overflow', length: len } : this.line(buf, start, lf, ascii);
  }

  /** Completes the line begun in earlier chunks at this chunk's first LF. */
  private finishCarried(buf: Buffer, lf: number, sink: DecoderSink): void {
    // State is reset before the sink sees the event: it may throw.
    if (this.discarding) {
      const length = this.discardedLength + lf;
      this.discarding = false;
      this.discardedLength = 0;
      sink.onEvent({ type: 'overflow', length });
      return;
    }
    const total = this.pendingLength + lf;
    if (total > this.maxLineLength) {
      this.clearPending();
      sink.onEvent({ type: 'overflow', length: total });
      return;
    }
    this.pending.push(buf.subarray(0, lf));
    const joined = Buffer.concat(this.pending, total);
    this.clearPending();
    sink.onEvent(this.line(joined, 0, total, isAscii(joined)));
  }

  // Emptied in place, never replaced: a fresh `[]` has another elements kind
  // than an array of Buffers, and swapping them changes this object's field
  // type, which deoptimizes every function optimized against the old one.
  private clearPending(): void {
    this.pending.length = 0;
    this.pendingLength = 0;
  }

  /**
   * Signals end of stream. Returns one `incomplete` event if bytes without a
   * LF were pending, else nothing. The decoder is then reset for reuse.
   */
  end(): DecoderEvent[] {
    let ev: IncompleteEvent | undefined;
    if (this.discarding) {
      ev = { type: 'incomplete', bytes: EMPTY, text: '', invalid: false, length: this.discardedLength, tooLong: true };
    } else if (this.pendingLength !== 0) {
      const bytes = Buffer.concat(this.pending, this.pendingLength);
      const valid = isUtf8(bytes);
      ev = {
        type: 'incomplete',
        bytes,
        text: valid ? bytes.toString('utf8') : decodeDroppingInvalid(bytes),
        invalid: !valid,
        length: bytes.length,
        tooLong: false,
      };
    }
    this.clearPending();
    this.discarding = false;
    this.discardedLength = 0;
    return ev === undefined ? [] : [ev];
  }

  private hold(buf: Buffer, start: number): void {
    const rest = buf.length - start;
    if (this.discarding) {
      this.discardedLength += rest;
      return;
    }
    const total = this.pendingLength + rest;
    if (total > this.maxLineLength) {
      // Over the limit: drop what we held and only count from now on.
      this.clearPending();
      this.discarding = true;
      this.discardedLength = total;
      return;
    }
    // Copy, so a small tail does not pin a whole 64 KiB socket chunk.
    const tail = Buffer.allocUnsafe(rest);
    buf.copy(tail, 0, start);
    this.pending.push(tail);
    this.pendingLength = total;
  }

  private line(buf: Buffer, start: number, end: number, ascii: boolean): LineEvent {
    if (this.stripCR && end > start && buf[end - 1] === CR) end -= 1;
    if (ascii) return new DecodedLine(buf, start, end, asciiSlice(buf, start, end), false);
    const text = utf8Slice(buf, start, end);
    // Invalid input always decodes with U+FFFD; only then is a full check needed.
    if (text.indexOf('\uFFFD') === -1) return new DecodedLine(buf, start, end, text, false);
    const bytes = buf.subarray(start, end);
    if (isUtf8(bytes)) return new DecodedLine(buf, start, end, text, false);
    return new DecodedLine(buf, start, end, decodeDroppingInvalid(bytes), true);
  }
}
