/**
 * Line decoder: bytes in, in any chunking; line events out.
 *
 * Theory of operation: chunks are queued as they are written and read one
 * line per `take()` (the push API is write + take until empty). Within a
 * chunk the decoder finds LF (0x0A): in an ASCII chunk with String#indexOf
 * on a decoded segment (about 16 lines, 1 to 16 KiB), otherwise with
 * Buffer#indexOf. Bytes
 * before a LF that arrived in earlier chunks are held as copies in
 * `pending`, never more than `maxLineLength` of them. As soon as a line is
 * known to be longer than the limit, the held bytes are dropped and the
 * decoder only counts until the next LF, where it emits one `overflow`
 * event. Every decision depends only on the line's total length, never on
 * where chunks were cut, so any chunking of the same bytes gives the same
 * events (property tests check it, for push and for any mix of write/take).
 */
import { OnelineError } from './errors.js';
import { Fifo } from './fifo.js';
import {
  DecodedLine,
  InvalidLine,
  asciiSlice,
  incomplete,
  incompleteTooLong,
  utf8Slice,
  type DecoderEvent,
  type DecoderSink,
  type IncompleteEvent,
  type LineEvent,
  type OverflowEvent,
} from './line-events.js';
import { decodeDroppingInvalid, isAscii, isUtf8 } from './utf8.js';

export type { DecoderEvent, DecoderSink, IncompleteEvent, LineEvent, OverflowEvent } from './line-events.js';

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
// ASCII chunks are decoded in segments, each ending after a LF: one native
// decode serves every line of a segment. A segment aims at SEGMENT_LINES
// lines of the length seen in the previous one, within [SEGMENT_BYTES,
// MAX_SEGMENT_BYTES]. V8 copies substrings shorter than 13 characters and
// makes longer ones views of their parent, so a line kept by a handler keeps
// at most its segment alive (about 16 lines' worth, or 1 KiB for short
// lines), never the socket chunk.
export const SEGMENT_BYTES = 1024;
const MAX_SEGMENT_BYTES = 16 * 1024;
const SEGMENT_LINES = 16;
// From this length on, a line of a non-ASCII chunk is decoded in one pass (see takeSlow()).
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
 * Two ways to use it, one code path:
 * - push: {@link push} / {@link feed} / {@link feedTo} decode a chunk at once;
 * - pull: {@link write} queues a chunk (kept by reference, not copied) and
 *   {@link take} decodes the next line only when it is wanted. Unread input
 *   stays raw bytes (no object per queued line); {@link unread} counts it.
 *   A server session pulls, so a pipelined burst goes from the chunk to the
 *   handler one line at a time, with nothing gathered in between.
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
  // The chunk being read, and where its next line starts.
  private buf: Buffer = EMPTY;
  private pos = 0;
  // String mode: the chunk is ASCII and decoded a segment at a time into
  // `str` (bytes [segStart, segEnd) of `buf`, ending after a LF); lines are
  // found with String#indexOf and cut with slice (a native call per line
  // costs more than a short line itself).
  private strMode = false;
  private str = '';
  private segStart = 0;
  private segEnd = 0;
  // Lines cut from the current segment, and the size the next one aims at.
  private segLines = 0;
  private segTarget = SEGMENT_BYTES;
  // Bytes-mode chunks: whether the whole chunk is ASCII (0 not known yet, 1 yes, 2 no).
  private ascii = 0;
  // Chunks written and not yet begun, and their bytes.
  private readonly chunks = new Fifo<Buffer>();
  private chunksLength = 0;

  // Copies of the current line's bytes from earlier chunks (total <= maxLineLength).
  // Created holding a Buffer (then emptied) so its elements kind never changes.
  private readonly pending: Buffer[] = [EMPTY];
  private pendingLength = 0;
  // While discarding, the current line is over the limit: count only, hold nothing.
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

  /** Bytes written with {@link write} and not yet read by {@link take}. */
  get unread(): number {
    return this.buf.length - this.pos + this.chunksLength;
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
    this.feedTo(chunk, new ArraySink(out));
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
   * Like {@link feed} but hands each event to `sink` as soon as it is decoded.
   * If `sink` throws, the exception propagates, the remaining complete lines
   * are dropped and the decoder stays consistent (bytes after the last LF
   * are held). Lines queued by {@link write} and not yet taken come first.
   */
  feedTo(chunk: Uint8Array, sink: DecoderSink): void {
    this.write(chunk);
    try {
      for (let ev = this.take(); ev !== undefined; ev = this.take()) sink.onEvent(ev);
    } catch (err) {
      this.dropLines();
      throw err;
    }
  }

  /**
   * Queues a chunk for {@link take}. The chunk is kept by reference until
   * its lines are taken: do not modify it. Never throws.
   */
  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(toBuffer(chunk));
    this.chunksLength += chunk.length;
  }

  /**
   * The next complete line (or `overflow` for one over `maxLineLength`) from
   * the chunks written so far, or undefined when none is complete yet (a
   * partial line is then held, bounded by `maxLineLength`). Never throws.
   */
  take(): LineEvent | OverflowEvent | undefined {
    // The common case, kept small so it inlines into the caller: the next
    // line of an ASCII chunk's current segment.
    if (this.pos < this.segEnd) return this.segmentLine();
    return this.takeSlow();
  }

  /** The next line of the current segment (which has one: segments end after a LF), cut from its string. */
  private segmentLine(): LineEvent | OverflowEvent {
    const seg = this.segStart;
    const start = this.pos - seg;
    const lf = this.str.indexOf('\n', start);
    const len = lf - start;
    this.pos = seg + lf + 1;
    this.segLines++;
    if (len > this.maxLineLength) return { type: 'overflow', length: len };
    const end = this.stripCR && len > 0 && this.str.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
    return new DecodedLine(this.str.slice(start, end), false, end - start);
  }

  /** Everything {@link take} does not do inline: chunk changes, carried and long lines, tails. */
  private takeSlow(): LineEvent | OverflowEvent | undefined {
    for (;;) {
      const buf = this.buf;
      const start = this.pos;
      if (start >= buf.length) {
        if (!this.begin()) return undefined;
        if (this.pendingLength !== 0 || this.discarding) {
          const next = this.buf;
          const lf = next.indexOf(LF);
          if (lf === -1) {
            this.hold(next, 0);
            this.pos = next.length;
            continue;
          }
          this.pos = lf + 1;
          this.chooseMode(lf + 1);
          return this.finishCarried(next, lf);
        }
        this.chooseMode(0);
        continue;
      }
      if (this.strMode) {
        if (start < this.segEnd || this.segment()) return this.segmentLine();
      }
      const lf = buf.indexOf(LF, start);
      if (lf === -1) {
        // No LF in the rest of this chunk: a copy is held, so the chunk is not pinned.
        this.hold(buf, start);
        this.pos = buf.length;
        continue;
      }
      this.pos = lf + 1;
      // Bytes mode: a long line is decoded and validated in one pass
      // (utf8Slice, then a U+FFFD check) rather than an ASCII scan plus a copy.
      if (lf - start >= LONG_LINE && this.ascii === 0) return this.longLine(buf, start, lf, false);
      // A short one: one native scan of the whole chunk spares every line its own check.
      if (this.ascii === 0) this.ascii = isAscii(buf) ? 1 : 2;
      return this.longLine(buf, start, lf, this.ascii === 1);
    }
  }

  /** Makes the next written chunk the current one; false when there is none. */
  private begin(): boolean {
    this.retarget();
    const next = this.chunks.shift();
    this.strMode = false;
    this.str = '';
    this.segStart = 0;
    this.segEnd = 0;
    this.ascii = 0;
    this.pos = 0;
    if (next === undefined) {
      this.buf = EMPTY;
      return false;
    }
    this.chunksLength -= next.length;
    this.buf = next;
    return true;
  }

  /**
   * String mode for the rest of the chunk (from `from`) when it is ASCII and
   * long enough to pay for the check (a one-line chunk is decoded directly).
   */
  private chooseMode(from: number): void {
    const buf = this.buf;
    if (buf.length - from < 64) return;
    if (!isAscii(buf)) {
      this.ascii = 2;
      return;
    }
    this.ascii = 1;
    this.strMode = true;
    this.segStart = this.segEnd = from;
    this.segment();
  }

  /** After a segment: the next aims at SEGMENT_LINES lines of its average length. */
  private retarget(): void {
    if (this.segLines === 0) return;
    const avg = (this.segEnd - this.segStart) / this.segLines;
    this.segTarget = Math.min(MAX_SEGMENT_BYTES, Math.max(SEGMENT_BYTES, Math.ceil(avg * SEGMENT_LINES)));
    this.segLines = 0;
  }

  /**
   * Decodes the next segment of a string-mode chunk, from `pos`: the lines
   * that end within `segTarget` bytes, or the first line alone when it is
   * longer. False (string mode
   * ends) when the rest of the chunk holds no LF: it is then a tail.
   */
  private segment(): boolean {
    const buf = this.buf;
    const from = this.pos;
    this.retarget();
    // The lines that end within the target; if the first line is longer,
    // that line alone. A segment never runs on into a long line, so a kept
    // short line never holds a long neighbour alive.
    let lf = buf.lastIndexOf(LF, Math.min(from + this.segTarget, buf.length) - 1);
    if (lf < from) lf = buf.indexOf(LF, from);
    if (lf < from) {
      this.strMode = false;
      this.str = '';
      this.segStart = this.segEnd = 0;
      return false;
    }
    this.segStart = from;
    this.segEnd = lf + 1;
    this.str = asciiSlice(buf, from, lf + 1);
    return true;
  }

  /** A line that may be over the limit (checked here, off the short-line path). */
  private longLine(buf: Buffer, start: number, lf: number, ascii: boolean): LineEvent | OverflowEvent {
    const len = lf - start;
    return len > this.maxLineLength ? { type: 'overflow', length: len } : this.line(buf, start, lf, ascii);
  }

  /** Completes the line begun in earlier chunks at this chunk's first LF. */
  private finishCarried(buf: Buffer, lf: number): LineEvent | OverflowEvent {
    if (this.discarding) {
      const length = this.discardedLength + lf;
      this.discarding = false;
      this.discardedLength = 0;
      return { type: 'overflow', length };
    }
    const total = this.pendingLength + lf;
    if (total > this.maxLineLength) {
      this.clearPending();
      return { type: 'overflow', length: total };
    }
    this.pending.push(buf.subarray(0, lf));
    const joined = Buffer.concat(this.pending, total);
    this.clearPending();
    return this.line(joined, 0, total, isAscii(joined));
  }

  // Emptied in place, never replaced: a fresh `[]` has another elements kind
  // than an array of Buffers, and swapping them changes this object's field
  // type, which deoptimizes every function optimized against the old one.
  private clearPending(): void {
    this.pending.length = 0;
    this.pendingLength = 0;
  }

  /**
   * Cuts the unread input after its last LF: what comes before stays to be
   * taken; the bytes after it are returned (an unterminated tail). With no
   * LF unread, all of it is returned: it continues the held line.
   */
  private splitTail(): Buffer[] {
    const unread: Buffer[] = [];
    if (this.pos < this.buf.length) unread.push(this.buf.subarray(this.pos));
    for (const c of this.chunks.drain()) unread.push(c);
    this.chunksLength = 0;
    this.begin();
    for (let i = unread.length - 1; i >= 0; i--) {
      const lf = unread[i]!.lastIndexOf(LF);
      if (lf === -1) continue;
      for (let j = 0; j < i; j++) this.write(unread[j]!);
      this.write(unread[i]!.subarray(0, lf + 1));
      return [unread[i]!.subarray(lf + 1), ...unread.slice(i + 1)];
    }
    return unread;
  }

  /** After a sink threw: the complete lines not yet taken are dropped, the tail after the last LF is held. */
  private dropLines(): void {
    const tail = this.splitTail();
    // Lines were unread: the held line was the first of them, dropped with them.
    if (this.unread !== 0) this.reset();
    for (const p of tail) if (p.length > 0) this.hold(p, 0);
  }

  /** Drops every unread byte and the held line: what was written is forgotten. */
  reset(): void {
    this.chunks.clear();
    this.chunksLength = 0;
    this.begin();
    this.clearPending();
    this.discarding = false;
    this.discardedLength = 0;
  }

  /**
   * Signals end of stream. Returns one `incomplete` event if bytes without a
   * LF were pending (after the last complete line), else nothing. Lines
   * written and not yet taken stay available to {@link take}; the decoder
   * can then be reused.
   */
  end(): DecoderEvent[] {
    const tail = this.splitTail();
    if (this.unread !== 0) {
      // Lines remain to be taken (and the held line is the first of them):
      // the tail stands alone.
      let length = 0;
      for (const p of tail) length += p.length;
      if (length === 0) return [];
      if (length > this.maxLineLength) return [incompleteTooLong(length)];
      return [incomplete(Buffer.concat(tail, length))];
    }
    for (const p of tail) if (p.length > 0) this.hold(p, 0);
    let ev: IncompleteEvent | undefined;
    if (this.discarding) {
      ev = incompleteTooLong(this.discardedLength);
    } else if (this.pendingLength !== 0) {
      ev = incomplete(Buffer.concat(this.pending, this.pendingLength));
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
    if (ascii) return new DecodedLine(asciiSlice(buf, start, end), false, end - start);
    const text = utf8Slice(buf, start, end);
    // Invalid input always decodes with U+FFFD; only then is a full check needed.
    if (text.indexOf('\uFFFD') === -1) return new DecodedLine(text, false, end - start);
    const bytes = buf.subarray(start, end);
    if (isUtf8(bytes)) return new DecodedLine(text, false, end - start);
    return new InvalidLine(decodeDroppingInvalid(bytes), Buffer.from(bytes));
  }
}
