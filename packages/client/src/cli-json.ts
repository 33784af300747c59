/**
 * `oneline --json`: turns what the user types into JSON command lines and
 * shows JSON answers pretty-printed. Pure functions (no I/O), used by cli.ts.
 *
 * A command is either `name key=value ...` (each value parsed as JSON when it
 * parses, else kept as a string: `x=10` is 10, `name=Ada` is "Ada") or a raw
 * JSON object (`{"cmd":"status"}`). The built-ins `ping`, `disconnect` and
 * `shutdown`, given alone, stay plain text.
 */
import { decodeJsonAnswer, encodeJsonCommand, isOnelineError } from '@socket-oneline/protocol';

/** A mistake in what the user typed: exit code 2 (or one line on stderr at the prompt). */
export class UsageError extends Error {}

const BUILTINS: ReadonlySet<string> = new Set(['ping', 'disconnect', 'shutdown']);

/** Raw JSON rather than a command name (an array is refused as such, not sent as a name). */
function looksRaw(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith('{') || t.startsWith('[');
}

/** A raw JSON object, compacted to one line (a pretty-printed argument may span several). */
function rawObject(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('a raw JSON command must be an object, e.g. {"cmd":"status"}');
  }
  return JSON.stringify(value);
}

/** `name key=value ...` as a JSON command line. */
function fromWords(words: readonly string[], field: string): string {
  const [name, ...pairs] = words;
  if (name === undefined || name === '') throw new UsageError('a JSON command needs a name');
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected key=value after the command name, got '${pair}'`);
    const key = pair.slice(0, eq);
    if (Object.prototype.hasOwnProperty.call(params, key)) throw new UsageError(`'${key}' is given twice`);
    params[key] = parseValue(pair.slice(eq + 1));
  }
  try {
    return encodeJsonCommand(name, params, { field });
  } catch (err) {
    if (isOnelineError(err)) throw new UsageError(err.message);
    throw err;
  }
}

/** A value as JSON when it parses (`10`, `true`, `null`, `"a b"`, `[1,2]`), else the string itself. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The command lines of the command-line arguments: one `name key=value ...`
 * command, or raw JSON objects and built-ins, one per argument.
 * @throws UsageError for an argument that cannot be made into a command.
 */
export function jsonCommandsFromArgs(args: readonly string[], field: string): string[] {
  if (args.length === 0) return [];
  const first = args[0]!;
  if (looksRaw(first)) {
    return args.map((a) => (BUILTINS.has(a) ? a : rawObject(a)));
  }
  if (args.length === 1 && BUILTINS.has(first)) return [first];
  return [fromWords(args, field)];
}

/**
 * The command line of one input line (piped or typed); undefined for a blank line.
 * @throws UsageError for a line that cannot be made into a command.
 */
export function jsonCommandFromLine(line: string, field: string): string | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  if (looksRaw(text)) return rawObject(text);
  const words = splitWords(text);
  if (words.length === 1 && BUILTINS.has(words[0]!)) return words[0];
  return fromWords(words, field);
}

/**
 * Splits a typed line at spaces, keeping a double-quoted JSON string and a
 * `[...]` or `{...}` value in one word: `rename name="Ada Lovelace" tags=[1, 2]`.
 * @throws UsageError for an unterminated quote or bracket.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      word += c;
      if (c === '\\' && i + 1 < line.length) word += line[++i];
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && depth > 0) depth--;
    else if ((c === ' ' || c === '\t') && depth === 0) {
      if (word !== '') words.push(word);
      word = '';
      continue;
    }
    word += c;
  }
  if (inString) throw new UsageError('unterminated "string"');
  if (depth > 0) throw new UsageError('unterminated [ or {');
  if (word !== '') words.push(word);
  return words;
}

// DEL and C1 controls (0x9B is a one-byte CSI): JSON.stringify escapes C0 controls but leaves these raw.
const C1 = /[\u007f-\u009f]/g;

/** How an answer line is shown: text (not JSON), or pretty JSON, marked when it is an error answer. */
export type ShownAnswer = { readonly kind: 'text' } | { readonly kind: 'json'; readonly pretty: string; readonly error: boolean };

/**
 * Formats one answer line: JSON with a 2-space indent (terminal-safe: DEL and
 * C1 controls as `\u00XX` escapes, still valid JSON, unless `raw`), or
 * `{ kind: 'text' }` for a line that is not JSON (e.g. `pong`). An error
 * answer is `{"error": {"code": ..., "message": ...}}`.
 */
export function formatJsonAnswer(text: string, raw: boolean): ShownAnswer {
  let decoded;
  try {
    decoded = decodeJsonAnswer(text);
  } catch {
    return { kind: 'text' };
  }
  const value = decoded.ok ? decoded.result : { error: decoded.error };
  let pretty = JSON.stringify(value, null, 2);
  if (!raw) pretty = pretty.replace(C1, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return { kind: 'json', pretty, error: !decoded.ok };
}
