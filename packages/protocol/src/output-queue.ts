/**
 * Output bytes waiting to be written, in order. Pure: no I/O.
 *
 * Answers are encoded straight into a block (a Buffer of `blockSize` bytes)
 * as they are produced: a short ASCII line is copied character by character
 * (a native encode call costs more than such a line), a longer one with one
 * native UTF-8 write. What the block holds is handed out as a view, and the
 * rest of the block keeps filling, so a burst of small answers becomes one
 * write with no string joined and no copy made. Lines too large for a block
 * become parts of their own. Every count is in bytes.
 */
import { Fifo } from './fifo.js';

// Below this many characters a line is encoded in JS; from it on, natively.
const SHORT = 64;
const LF = 0x0a;

type Utf8Write = (this: Buffer, s: string, offset: number) => number;
// Buffer#utf8Write skips write()'s argument handling; both exist on every runtime we test.
const utf8Write: Utf8Write =
  typeof (Buffer.prototype as unknown as { utf8Write?: unknown }).utf8Write === 'function'
    ? (Buffer.prototype as unknown as { utf8Write: Utf8Write }).utf8Write
    : function (this: Buffer, s: string, offset: number) {
        return this.write(s, offset, 'utf8');
      };

/** An ordered queue of output bytes: lines go in, pieces of at most a window come out. */
export class OutputQueue {
  // Sealed pieces, in order, before the block's unsealed bytes.
  private readonly parts = new Fifo<Buffer>();
  private partsBytes = 0;
  // The block being filled: bytes [start, end) are queued, [end, length) free.
  private block: Buffer;
  private start = 0;
  private end = 0;

  /** @param blockSize bytes per block (a positive integer; lines longer than a block get their own part). */
  constructor(private readonly blockSize: number) {
    this.block = Buffer.allocUnsafe(0);
  }

  /** Bytes queued. */
  get size(): number {
    return this.partsBytes + this.end - this.start;
  }

  /**
   * Queues `s` plus LF, UTF-8 encoded. Returns false, queuing nothing, when
   * `s` contains a LF (checked while encoding: no separate scan).
   */
  line(s: string): boolean {
    const n = s.length;
    let end = this.end;
    if (n < SHORT) {
      // Worst case three bytes per UTF-16 unit, plus the LF.
      if (end + n * 3 + 1 > this.block.length) end = this.newBlock();
      const b = this.block;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) return this.encodeAt(s, b, this.end);
        if (c === LF) return false;
        b[end++] = c;
      }
      b[end++] = LF;
      this.end = end;
      return true;
    }
    if (s.indexOf('\n') !== -1) return false;
    // A longer line is measured exactly (one native pass), so a block is
    // filled, not left three-quarters empty by a worst-case reservation.
    const len = Buffer.byteLength(s, 'utf8');
    if (len + 1 > this.blockSize) {
      // Too large for a block: a part of its own, encoded once.
      this.seal();
      const part = Buffer.allocUnsafe(len + 1);
      utf8Write.call(part, s, 0);
      part[len] = LF;
      this.push(part);
      return true;
    }
    if (end + len + 1 > this.block.length) end = this.newBlock();
    end += utf8Write.call(this.block, s, end);
    this.block[end++] = LF;
    this.end = end;
    return true;
  }

  /** A short line with a non-ASCII character: encoded natively at `at` in the current block (which has room for the worst case). */
  private encodeAt(s: string, b: Buffer, at: number): boolean {
    if (s.indexOf('\n') !== -1) return false;
    const end = at + utf8Write.call(b, s, at);
    b[end] = LF;
    this.end = end + 1;
    return true;
  }

  /** Queues a copy of `bytes` plus LF. The caller has checked that `bytes` has no LF. */
  bytes(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n + 1 > this.blockSize) {
      this.own(bytes, n);
      return;
    }
    let end = this.end;
    if (end + n + 1 > this.block.length) end = this.newBlock();
    this.block.set(bytes, end);
    end += n;
    this.block[end++] = LF;
    this.end = end;
  }

  /**
   * The next piece to write: at most `max` bytes (a view where possible; a
   * copy only when it joins several parts), or undefined when empty.
   */
  take(max: number): Buffer | undefined {
    this.seal();
    const parts = this.parts;
    let out = parts.peek();
    if (out === undefined) return undefined;
    if (out.length > max) {
      // A large part goes out in window-sized views.
      parts.replaceFront(out.subarray(max));
      out = out.subarray(0, max);
    } else {
      parts.shift();
      if (parts.length > 0 && out.length + parts.peek()!.length <= max) {
        // Join following small parts into the same write, within the window.
        const joined = [out];
        let total = out.length;
        for (let next = parts.peek(); next !== undefined && total + next.length <= max; next = parts.peek()) {
          joined.push(parts.shift()!);
          total += next.length;
        }
        out = Buffer.concat(joined, total);
      }
    }
    this.partsBytes -= out.length;
    return out;
  }

  /** Drops everything queued. */
  clear(): void {
    this.parts.clear();
    this.partsBytes = 0;
    this.start = this.end;
  }

  /** A part of its own for a line larger than a block: a copy of `bytes` plus LF. */
  private own(bytes: Uint8Array, n: number): void {
    this.seal();
    const part = Buffer.allocUnsafe(n + 1);
    part.set(bytes, 0);
    part[n] = LF;
    this.push(part);
  }

  private push(part: Buffer): void {
    this.parts.push(part);
    this.partsBytes += part.length;
  }

  /** Moves the block's queued bytes to the parts (a view: the block keeps filling after them). */
  private seal(): void {
    if (this.end === this.start) return;
    this.push(this.block.subarray(this.start, this.end));
    this.start = this.end;
  }

  /** Seals the current block and starts a new one; returns the new write position (0). */
  private newBlock(): number {
    this.seal();
    // Views already handed out keep the old block alive until written; it is never written to again.
    this.block = Buffer.allocUnsafe(this.blockSize);
    this.start = 0;
    this.end = 0;
    return 0;
  }
}
