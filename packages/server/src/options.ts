// Checks the shape of the options object before anything else reads it:
// an unknown key (a typo, or an option of another version) or a value of the
// wrong type is a clear error, never silently ignored.
import { OnelineError } from '@socket-oneline/protocol';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'function';

const KINDS: Readonly<Record<string, Kind>> = Object.freeze({
  handler: 'function',
  host: 'string',
  port: 'number',
  path: 'string',
  mode: 'number',
  maxLineLength: 'number',
  stripCR: 'boolean',
  idleTimeout: 'number',
  handlerTimeout: 'number',
  writeHighWaterMark: 'number',
  maxQueuedBytes: 'number',
  tls: 'object',
  maxPendingHandshakes: 'number',
  maxRejecting: 'number',
  firstCommandTimeout: 'number',
  keepAliveDelay: 'number',
  logger: 'object',
  verbose: 'boolean',
  closeGrace: 'number',
});

/**
 * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a missing options
 *   object, an unknown key, a value of the wrong type, or `path` with `host`/`port`.
 */
export function checkServerOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'options must be an object with at least a handler');
  }
  for (const [key, value] of Object.entries(options)) {
    const kind = KINDS[key];
    if (kind === undefined) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `unknown option '${key}' (known: ${Object.keys(KINDS).join(', ')})`);
    }
    if (value === undefined) continue;
    const actual = value === null ? 'null' : typeof value;
    if (actual !== kind) {
      throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `option '${key}' must be a ${kind}, got ${actual}`);
    }
  }
  const o = options as Record<string, unknown>;
  if (o.path !== undefined && (o.host !== undefined || o.port !== undefined)) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'give either path or host/port, not both');
  }
  if (o.path === '') throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'path must not be empty');
  const mode = o.mode as number | undefined; // a number: the loop above checked every kind
  if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o777)) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `mode must be a file mode 0..0o777, got ${mode}`);
  }
}
