import { OnelineError } from './errors.js';

const LF = 0x0a;

/** A payload to send: text (encoded as UTF-8) or raw bytes. */
export type Payload = string | Uint8Array;

function refuse(where: string): never {
  throw new OnelineError(
    'ERR_ONELINE_LF_IN_PAYLOAD',
    `${where} contains a LF (0x0A), which would split it into two packets; escape it first (e.g. JSON.stringify)`,
  );
}

function notALine(payload: unknown): never {
  throw new OnelineError(
    'ERR_ONELINE_INVALID_PAYLOAD',
    `a line must be a string or a Uint8Array, got ${payload === null ? 'null' : typeof payload}`,
  );
}

/**
 * Encodes one packet: the payload followed by LF.
 *
 * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD` if the payload contains LF
 *   (the original wrote it as is, silently splitting the packet);
 *   `ERR_ONELINE_INVALID_PAYLOAD` if it is neither a string nor a Uint8Array.
 */
export function encodeLine(payload: Payload): Buffer {
  if (typeof payload === 'string') {
    if (payload.indexOf('\n') !== -1) refuse('payload');
    const len = Buffer.byteLength(payload, 'utf8');
    const out = Buffer.allocUnsafe(len + 1);
    out.write(payload, 0, len, 'utf8');
    out[len] = LF;
    return out;
  }
  if (!(payload instanceof Uint8Array)) notALine(payload);
  if (payload.indexOf(LF) !== -1) refuse('payload');
  const out = Buffer.allocUnsafe(payload.byteLength + 1);
  out.set(payload, 0);
  out[payload.byteLength] = LF;
  return out;
}

/**
 * Encodes one text packet as a string (payload + LF), for shells that batch
 * many small packets into one write: cheaper than a Buffer per packet.
 *
 * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD` if the payload contains LF.
 */
export function encodeLineText(payload: string): string {
  if (typeof payload !== 'string') notALine(payload);
  if (payload.indexOf('\n') !== -1) refuse('payload');
  return `${payload}\n`;
}

/**
 * Encodes several packets into one buffer (one write for many responses).
 *
 * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD` if any payload contains LF;
 *   nothing is encoded in that case.
 */
export function encodeLines(payloads: Iterable<Payload>): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  for (const p of payloads) {
    const b = encodeLine(p);
    parts.push(b);
    total += b.length;
  }
  return Buffer.concat(parts, total);
}
