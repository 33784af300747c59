// Checks the shape of the client's options object before anything reads it:
// an unknown key (a typo such as `pat` for `path`, or an option of another
// version) or a value of the wrong type is a clear error, never silently
// ignored. Ranges are checked where each value is used.
import { OnelineError } from '@socket-oneline/protocol';

type Kind = 'string' | 'number' | 'boolean' | 'object';

const KINDS: Readonly<Record<string, readonly Kind[]>> = Object.freeze({
  port: ['number'],
  host: ['string'],
  path: ['string'],
  tls: ['boolean', 'object'],
  connectTimeout: ['number'],
  retryFor: ['number'],
  timeout: ['number'],
  maxLineLength: ['number'],
  stripCR: ['boolean'],
  maxQueuedLines: ['number'],
  maxQueuedBytes: ['number'],
  maxResponseLines: ['number'],
  maxResponseBytes: ['number'],
  logger: ['object'],
  verbose: ['boolean'],
});

function invalid(message: string): OnelineError {
  return new OnelineError('ERR_ONELINE_INVALID_OPTION', message);
}

/**
 * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a missing options object, an unknown key,
 *   a value of the wrong type, `path` with `host`/`port`, an empty `path`, or neither `port` nor `path`.
 */
export function checkClientOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options must be an object with a port (TCP) or a path (Unix socket or named pipe)');
  }
  for (const [key, value] of Object.entries(options)) {
    const kinds = KINDS[key];
    if (kinds === undefined) throw invalid(`unknown option '${key}' (known: ${Object.keys(KINDS).join(', ')})`);
    // undefined counts as not given, so optional settings can be spread in.
    if (value === undefined) continue;
    const actual = value === null ? 'null' : typeof value;
    if (!(kinds as readonly string[]).includes(actual)) {
      const article = (k: string) => (k === 'object' ? `an ${k}` : `a ${k}`);
      throw invalid(`option '${key}' must be ${kinds.map(article).join(' or ')}, got ${actual}`);
    }
  }
  const o = options as { path?: string; host?: string; port?: number };
  if (o.path !== undefined && (o.host !== undefined || o.port !== undefined)) {
    throw invalid('give either path or host/port, not both');
  }
  if (o.path === '') throw invalid('path must not be empty');
  if (o.path === undefined && o.port === undefined) {
    throw invalid('give a port (TCP, with an optional host) or a path (Unix socket file or Windows named pipe)');
  }
}
