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
  /** The line's bytes, without the LF (and without a stripped CR). */
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
 * A line whose `bytes` view is made on first use: most consumers read only
 * `text`, and a Buffer view per line costs as much as decoding a short one.
 */
class DecodedLine implements LineEvent {
  // On the prototype (set below): one field less per line.
  declare readonly type: 'line';
  readonly text: string;
  readonly invalid: boolean;
  private readonly src: Buffer;
  private readonly start: number;
  private readonly end: number;

  constructor(src: Buffer, start: number, end: number, text: string, invalid: boolean) {
    this.src = src;
    this.start = start;
    this.end = end;
    this.text = text;
    this.invalid = invalid;
  }

  get bytes(): Buffer {
    return this.src.subarray(this.start, this.end);
  }

  get length(): number {
    return this.end - this.start;
  }

  get reason(): 'undecodable' | undefined {
    return this.invalid ? 'undecodable' : undefined;
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
  private pending: Buffer[] = [];
  private pendingLength = 0;
  // While > 0 the current line is over the limit: count only, hold nothing.
  private discardedLength = 0;
  private discarding = false;

  /** @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option. */
  constructor(options: LineDecoderOptions = {}) {
    const resolved = resolveDecoderOptions(options);
    this.maxLineLength = resolved.maxLineLength;
    this.stripCR = resolved.stripCR;
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
    const buf = toBuffer(chunk);
    const max = this.maxLineLength;
    // Whether the whole chunk is ASCII, computed on the first line that needs
    // it: one native scan then spares every line of the chunk its own check.
    let ascii: boolean | undefined;
    let start = 0;
    let lf = buf.indexOf(LF, 0);
    // Short-line fast path: when the chunk is ASCII and starts with a short
    // line (typical of pipelined commands), decode it to one string up front
    // and find and cut lines with string operations: a native call per line
    // costs more than the line itself. Only lines shorter than V8's sliced-
    // string minimum are cut from it, so no line keeps the chunk string alive.
    // Decided at the chunk's first complete line (after any line carried over).
    let str: string | undefined;
    let decided = false;
    while (lf !== -1) {
      const len = lf - start;
      if (this.discarding) {
        out.push({ type: 'overflow', length: this.discardedLength + len });
        this.discarding = false;
        this.discardedLength = 0;
      } else if (this.pendingLength !== 0) {
        const total = this.pendingLength + len;
        if (total > max) {
          out.push({ type: 'overflow', length: total });
        } else {
          this.pending.push(buf.subarray(start, lf));
          const joined = Buffer.concat(this.pending, total);
          out.push(this.line(joined, 0, total, isAscii(joined)));
        }
        this.pending = [];
        this.pendingLength = 0;
      } else if (len > max) {
        out.push({ type: 'overflow', length: len });
      } else {
        if (!decided && len < SLICE_MAX && buf.length - start >= 64) {
          decided = true;
          ascii ??= isAscii(buf);
          if (ascii) str = asciiSlice(buf, 0, buf.length);
        }
        if (str !== undefined && len < SLICE_MAX) {
          const end = this.stripCR && len > 0 && str.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
          out.push(new DecodedLine(buf, start, end, str.slice(start, end), false));
        } else if (len >= LONG_LINE && ascii === undefined) {
          // Long line: decode and validate in one pass (utf8Slice, then a
          // cheap U+FFFD check) rather than an ASCII scan plus a copy.
          out.push(this.line(buf, start, lf, false));
        } else {
          ascii ??= isAscii(buf);
          out.push(this.line(buf, start, lf, ascii));
        }
      }
      start = lf + 1;
      lf = str !== undefined ? str.indexOf('\n', start) : buf.indexOf(LF, start);
    }
    if (start < buf.length) this.hold(buf, start);
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
    this.pending = [];
    this.pendingLength = 0;
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
      this.pending = [];
      this.pendingLength = 0;
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
