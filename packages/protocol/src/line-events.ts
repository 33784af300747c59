/**
 * The line events the decoder hands out, and the line objects behind them:
 * plain data that never keeps a socket chunk alive.
 */
import { decodeDroppingInvalid, isUtf8 } from './utf8.js';

const EMPTY_BYTES = Buffer.alloc(0);

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
export const asciiSlice: Slicer =
  typeof protoSlices.latin1Slice === 'function'
    ? (b, s, e) => (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e)
    : (b, s, e) => b.toString('latin1', s, e);
export const utf8Slice: Slicer =
  typeof protoSlices.utf8Slice === 'function'
    ? (b, s, e) => (b as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(s, e)
    : (b, s, e) => b.toString('utf8', s, e);

/**
 * A decoded line: plain data (`JSON.stringify` shows text, invalid, length
 * and reason) that never keeps its socket chunk alive. Valid UTF-8 round-
 * trips, so the bytes of a valid line are re-encoded from its text on
 * access; an invalid line ({@link InvalidLine}) keeps a copy of its bytes.
 */
export class DecodedLine implements LineEvent {
  // On the prototype (set below): one field less per line.
  declare readonly type: 'line';
  readonly text: string;
  readonly invalid: boolean;
  readonly length: number;

  constructor(text: string, invalid: boolean, length: number) {
    this.text = text;
    this.invalid = invalid;
    this.length = length;
  }

  get bytes(): Buffer {
    return Buffer.from(this.text, 'utf8');
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

/** A line that is not valid UTF-8: its bytes are kept (a copy, never the chunk). Rare, so off the valid lines' shape. */
export class InvalidLine extends DecodedLine {
  readonly #raw: Buffer;

  constructor(text: string, raw: Buffer) {
    super(text, true, raw.length);
    this.#raw = raw;
  }

  override get bytes(): Buffer {
    return Buffer.from(this.#raw);
  }
}

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

/** The `incomplete` event for an unterminated tail within the limit. */
export function incomplete(bytes: Buffer): IncompleteEvent {
  const valid = isUtf8(bytes);
  return {
    type: 'incomplete',
    bytes,
    text: valid ? bytes.toString('utf8') : decodeDroppingInvalid(bytes),
    invalid: !valid,
    length: bytes.length,
    tooLong: false,
  };
}

/** The `incomplete` event for a tail already over the limit (its bytes were discarded). */
export function incompleteTooLong(length: number): IncompleteEvent {
  return { type: 'incomplete', bytes: EMPTY_BYTES, text: '', invalid: false, length, tooLong: true };
}
