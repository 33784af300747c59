import { LineDecoder, type DecoderEvent, type LineDecoderOptions } from '../decoder.js';

/** A decoder event with its bytes as hex, so events compare with toEqual. */
export type PlainEvent =
  | { type: 'line'; hex: string; text: string; invalid: boolean }
  | { type: 'overflow'; length: number }
  | { type: 'incomplete'; hex: string; text: string; invalid: boolean; length: number; tooLong: boolean };

export function plain(ev: DecoderEvent): PlainEvent {
  switch (ev.type) {
    case 'line':
      return { type: 'line', hex: ev.bytes.toString('hex'), text: ev.text, invalid: ev.invalid };
    case 'overflow':
      return { type: 'overflow', length: ev.length };
    case 'incomplete':
      return {
        type: 'incomplete',
        hex: ev.bytes.toString('hex'),
        text: ev.text,
        invalid: ev.invalid,
        length: ev.length,
        tooLong: ev.tooLong,
      };
  }
}

/** Decodes `chunks` in order then ends the stream; checks the hold bound after every push. */
export function decodeChunks(chunks: Uint8Array[], options?: LineDecoderOptions): PlainEvent[] {
  const d = new LineDecoder(options);
  const out: PlainEvent[] = [];
  for (const c of chunks) {
    for (const ev of d.push(c)) out.push(plain(ev));
    if (d.buffered > d.maxLineLength) throw new Error(`decoder holds ${d.buffered} > ${d.maxLineLength}`);
  }
  for (const ev of d.end()) out.push(plain(ev));
  return out;
}

/** Cuts `bytes` at the given sorted offsets. */
export function cutAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let prev = 0;
  for (const o of offsets) {
    parts.push(bytes.subarray(prev, o));
    prev = o;
  }
  parts.push(bytes.subarray(prev));
  return parts;
}

/** Every chunking the guide asks for: whole, byte by byte, and split at every index. */
export function standardChunkings(bytes: Buffer): { name: string; chunks: Buffer[] }[] {
  const out = [
    { name: 'whole', chunks: [bytes] },
    { name: 'byte by byte', chunks: Array.from(bytes, (b) => Buffer.from([b])) },
  ];
  for (let i = 1; i < bytes.length; i++) out.push({ name: `split at ${i}`, chunks: cutAt(bytes, [i]) });
  return out;
}
