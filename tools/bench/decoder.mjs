#!/usr/bin/env node
// Decoder benchmark: @socket-oneline/protocol's LineDecoder against a floor
// (Buffer.indexOf + toString over 64 KiB chunks, no limits, no checks), in the
// same process, interleaved. Prints lines/s for both and the ratio.
//   node tools/bench/decoder.mjs [--mb 16] [--rounds 9] [--smoke]
import { LineDecoder } from '@socket-oneline/protocol';
import { args, fmtRate, interleave } from './common.mjs';

const CHUNK = 64 * 1024;

/** Default sizes: 8 MiB per run, 21 interleaved rounds; smoke: 256 KiB, 3 rounds. */
export function decoderSettings({ smoke = false, mb, rounds } = {}) {
  return {
    smoke,
    totalBytes: smoke ? 256 * 1024 : Number(mb ?? 8) * 1024 * 1024,
    rounds: smoke ? 3 : Number(rounds ?? 21),
  };
}

function makeStream(lineBytes, totalBytes) {
  // lineBytes includes the LF: 6 → "cmd01\n".
  const body = lineBytes === 6 ? 'cmd01' : 'x'.repeat(lineBytes - 1);
  const line = Buffer.from(`${body}\n`);
  const count = Math.max(1, Math.floor(totalBytes / line.length));
  const all = Buffer.alloc(count * line.length);
  for (let i = 0; i < count; i++) line.copy(all, i * line.length);
  const chunks = [];
  for (let off = 0; off < all.length; off += CHUNK) chunks.push(all.subarray(off, off + CHUNK));
  return { chunks, count };
}

let sink = 0;

function floor(chunks) {
  let rest = null;
  let lines = 0;
  for (const chunk of chunks) {
    const buf = rest === null ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    let i;
    while ((i = buf.indexOf(10, start)) !== -1) {
      sink += buf.toString('utf8', start, i).length;
      lines++;
      start = i + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : null;
  }
  return lines;
}

function ours(chunks) {
  const d = new LineDecoder();
  const out = [];
  let lines = 0;
  for (const chunk of chunks) {
    d.feed(chunk, out);
    for (let i = 0; i < out.length; i++) {
      const ev = out[i];
      if (ev.type === 'line') {
        sink += ev.text.length;
        lines++;
      }
    }
    out.length = 0;
  }
  return lines;
}

export function runDecoderBench({ totalBytes, rounds } = decoderSettings()) {
  const results = [];
  for (const size of [6, 100, 1024]) {
    // Long lines get a bigger stream so a round lasts long enough (tens of ms)
    // for timer and GC noise to average out, as it does for short lines.
    const { chunks, count } = makeStream(size, size >= 100 ? totalBytes * 8 : totalBytes);
    if (floor(chunks) !== count || ours(chunks) !== count) throw new Error('line count mismatch');
    const r = interleave({ floor: () => floor(chunks), decoder: () => ours(chunks) }, rounds);
    results.push({ name: `decoder ${size}-byte lines`, unit: 'lines/s', ours: r.decoder, floor: r.floor, ratio: r.decoder / r.floor, target: 0.8 });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const opts = args();
  const { smoke, totalBytes, rounds } = decoderSettings({ smoke: Boolean(opts.smoke), mb: opts.mb, rounds: opts.rounds });
  const results = runDecoderBench({ totalBytes, rounds });
  console.log(`decoder benchmark: ${(totalBytes / 1048576).toFixed(2)} MiB per run, 64 KiB chunks, ${rounds} interleaved rounds, medians`);
  for (const r of results) {
    console.log(
      `${r.name.padEnd(26)} floor ${fmtRate(r.floor).padStart(11)}  decoder ${fmtRate(r.ours).padStart(11)}  ratio ${r.ratio.toFixed(2)}x (target >= ${r.target}x)${smoke ? '' : r.ratio >= r.target ? '  ok' : '  MISSED'}`,
    );
  }
  if (sink === 0) console.log('');
}
