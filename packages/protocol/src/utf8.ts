// UTF-8 helpers. Node's native `isUtf8`/`isAscii` do the fast checks; the
// lossy decoder below only runs for lines that are really invalid.
import { isAscii, isUtf8 } from 'node:buffer';

export { isAscii, isUtf8 };

/**
 * Length of the well-formed UTF-8 sequence starting at `i`, or 0 if the bytes
 * there do not start one (RFC 3629: no overlongs, no surrogates, max U+10FFFF).
 */
function sequenceLength(b: Uint8Array, i: number, end: number): number {
  const b0 = b[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const j = i + k;
    if (j >= end) return false;
    const v = b[j]!;
    return v >= lo && v <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/**
 * Decodes UTF-8, dropping every byte that is not part of a well-formed
 * sequence (what the original did by decoding byte by byte and skipping
 * failures, but without breaking valid multi-byte characters).
 */
export function decodeDroppingInvalid(bytes: Buffer): string {
  let out = '';
  let runStart = 0;
  let i = 0;
  const end = bytes.length;
  while (i < end) {
    const n = sequenceLength(bytes, i, end);
    if (n === 0) {
      if (i > runStart) out += bytes.toString('utf8', runStart, i);
      i += 1;
      runStart = i;
    } else {
      i += n;
    }
  }
  if (end > runStart) out += bytes.toString('utf8', runStart, end);
  return out;
}
