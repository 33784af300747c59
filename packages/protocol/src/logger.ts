/**
 * The pluggable logger shape shared by the server and the client. Both
 * `console` and pino loggers fit: every method is called as
 * `method(fields, message)`, which is pino's `(mergingObject, msg)` order.
 */
export interface Logger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}

/** A logger with every level present. */
export interface ResolvedLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Something that prints text lines, like `console`. */
export interface TextSink {
  error(...data: unknown[]): void;
}

const noop = (): void => undefined;

/** The default: logs nothing. */
export const silentLogger: ResolvedLogger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

// C0 and C1 controls, DEL, and the line and paragraph separators: anything a
// terminal or a log viewer could act on (ESC sequences, CR overwrites).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Escapes control characters (`\x1b` → `\u001b`) so a logged line cannot
 * move the cursor, rewrite the line or forge another log line.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function formatFields(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    const s = typeof v === 'string' ? JSON.stringify(v) : v instanceof Error ? JSON.stringify(v.message) : String(v);
    parts.push(`${k}=${s}`);
  }
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/**
 * Picks the logger to use: the given one (missing levels become no-ops);
 * else, when `verbose`, one that prints `[name] level message key=value` lines
 * to `sink` (the original's `verbose` flag), with control characters in the
 * message and the fields escaped (see {@link escapeControl}); else {@link silentLogger}.
 */
export function resolveLogger(
  logger: Logger | undefined,
  verbose: boolean | undefined,
  name: string,
  sink: TextSink | undefined,
): ResolvedLogger {
  if (logger !== undefined) {
    const bind = (m: keyof Logger) => (typeof logger[m] === 'function' ? logger[m].bind(logger) : noop);
    return { debug: bind('debug'), info: bind('info'), warn: bind('warn'), error: bind('error') };
  }
  if (verbose === true && sink !== undefined) {
    const line = (level: string) => (fields: Record<string, unknown>, message: string) =>
      sink.error(escapeControl(`[${name}] ${level} ${message}${formatFields(fields)}`));
    return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  }
  return silentLogger;
}
