/**
 * JSON commands: one JSON object per line, the way real users of the
 * original drive a program (`{"cmd": "click_left", "x": 10, "y": 20}` in,
 * `{"value": "ack"}` out). Pure: strings in, strings out.
 *
 * Wire shape (unchanged from what the original's users write by hand, so a
 * Python client with `json.dumps`/`json.loads` works against it):
 * - command: a JSON object with the command name in a field (`cmd` by
 *   default) and its parameters as the other fields;
 * - success: the result, as JSON (a JSON object by convention), one line;
 * - failure: `{"error": {"code": "...", "message": "..."}}`, one line.
 *
 * JSON escapes LF inside strings and `JSON.stringify` adds no line breaks,
 * so an encoded command or answer never contains a raw LF.
 */
import { OnelineError } from './errors.js';

/**
 * The command map shared by a server and its clients: for each command
 * name, the shape of its parameters and of its result.
 *
 * @example
 * ```ts
 * interface Device extends CommandMap {
 *   click_left: { params: { x: number; y: number }; result: { value: 'ack' } };
 *   get_screen: { params: undefined; result: Widget };
 * }
 * ```
 */
export interface CommandMap {
  [name: string]: { params: object | undefined; result: unknown };
}

/** What one command of a map declares. */
export interface CommandSpec {
  params: object | undefined;
  result: unknown;
}

/**
 * The constraint on a command map type `M`: every declared command has a
 * {@link CommandSpec}. Works for interfaces that extend {@link CommandMap}
 * and for plain interfaces or type literals alike.
 */
export type CommandSpecs<M> = { [K in keyof M]: CommandSpec };

/** The declared command names of `M` (an index signature, e.g. from {@link CommandMap}, is left out). */
export type CommandName<M> = keyof {
  [K in keyof M as string extends K ? never : number extends K ? never : K extends string ? K : never]: true;
} &
  string;

/** The parameters of command `K` of map `M`. */
export type ParamsOf<M extends CommandSpecs<M>, K extends keyof M> = M[K]['params'];
/** The result of command `K` of map `M`. */
export type ResultOf<M extends CommandSpecs<M>, K extends keyof M> = M[K]['result'];

/** The error object a JSON server answers with (the `error` field of the answer line). */
export interface JsonErrorObject {
  /** A stable code, e.g. `ERR_ONELINE_UNKNOWN_COMMAND`, or one a handler chose. */
  readonly code: string;
  /** A human-readable message. */
  readonly message: string;
  /** Extra details (e.g. validation issues), when there are any. */
  readonly details?: unknown;
}

/** A decoded JSON command. */
export interface JsonCommand {
  /** The command name (the value of the command field). */
  readonly name: string;
  /** The other fields of the object. */
  readonly params: Record<string, unknown>;
}

/** Options of the JSON codec. */
export interface JsonCodecOptions {
  /** Name of the field that holds the command name. @defaultValue `'cmd'` */
  field?: string;
  /** Longest encoded line in bytes (before the LF); longer ones are refused with `ERR_ONELINE_LINE_TOO_LONG`. @defaultValue no limit here (the connection's own line limit applies) */
  maxLineLength?: number;
}

/** The default command field name, as the original's users write it. */
export const DEFAULT_COMMAND_FIELD = 'cmd';

function checkLength(line: string, max: number | undefined): string {
  // Bytes are at least characters: only measure when it could be over.
  if (max !== undefined && line.length > max / 3 && Buffer.byteLength(line, 'utf8') > max) {
    throw new OnelineError('ERR_ONELINE_LINE_TOO_LONG', `the encoded JSON line is ${Buffer.byteLength(line, 'utf8')} bytes, over the limit of ${max}`);
  }
  return line;
}

/**
 * Encodes a command line: `{"<field>": name, ...params}`.
 * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` if params hold the command field or are not an object;
 *   `ERR_ONELINE_LINE_TOO_LONG` over `maxLineLength`; a `TypeError` from `JSON.stringify` (e.g. a cycle or a BigInt) is wrapped as `ERR_ONELINE_INVALID_OPTION`.
 */
export function encodeJsonCommand(name: string, params: object | undefined, options: JsonCodecOptions = {}): string {
  const field = options.field ?? DEFAULT_COMMAND_FIELD;
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `parameters of '${name}' must be an object`);
  }
  if (params !== undefined && Object.prototype.hasOwnProperty.call(params, field)) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `parameters of '${name}' must not have the command field '${field}'`);
  }
  return checkLength(stringify({ [field]: name, ...params }, `command '${name}'`), options.maxLineLength);
}

/**
 * Encodes a result line (`undefined` becomes `null`).
 * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a value JSON cannot hold; `ERR_ONELINE_LINE_TOO_LONG`.
 */
export function encodeJsonResult(result: unknown, options: JsonCodecOptions = {}): string {
  return checkLength(stringify(result === undefined ? null : result, 'result'), options.maxLineLength);
}

/** Encodes an error answer line: `{"error": {"code", "message", "details"?}}`. Never throws. */
export function encodeJsonError(error: JsonErrorObject): string {
  const body: JsonErrorObject = error.details === undefined ? { code: error.code, message: error.message } : error;
  try {
    return JSON.stringify({ error: body });
  } catch {
    return JSON.stringify({ error: { code: error.code, message: error.message } });
  }
}

function stringify(value: unknown, what: string): string {
  let out: string | undefined;
  try {
    out = JSON.stringify(value);
  } catch (err) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${what} cannot be encoded as JSON: ${(err as Error).message}`, { cause: err });
  }
  if (out === undefined) throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${what} cannot be encoded as JSON`);
  return out;
}

/**
 * Decodes a command line.
 * @throws OnelineError `ERR_ONELINE_JSON_SYNTAX` (not JSON), `ERR_ONELINE_JSON_NOT_OBJECT`,
 *   `ERR_ONELINE_JSON_NO_COMMAND` (no string command field), `ERR_ONELINE_LINE_TOO_LONG`.
 */
export function decodeJsonCommand(line: string, options: JsonCodecOptions = {}): JsonCommand {
  const field = options.field ?? DEFAULT_COMMAND_FIELD;
  checkLength(line, options.maxLineLength);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new OnelineError('ERR_ONELINE_JSON_SYNTAX', `not JSON: ${(err as Error).message}`, { cause: err, origin: 'remote' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OnelineError('ERR_ONELINE_JSON_NOT_OBJECT', `a JSON command must be an object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, { origin: 'remote' });
  }
  const { [field]: name, ...params } = value as Record<string, unknown>;
  if (typeof name !== 'string') {
    throw new OnelineError('ERR_ONELINE_JSON_NO_COMMAND', `a JSON command needs a string '${field}' field`, { origin: 'remote' });
  }
  return { name, params };
}

/** What a decoded answer line holds. */
export type JsonAnswer = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: JsonErrorObject };

function isErrorObject(v: unknown): v is JsonErrorObject {
  return typeof v === 'object' && v !== null && typeof (v as JsonErrorObject).code === 'string' && typeof (v as JsonErrorObject).message === 'string';
}

/**
 * Decodes an answer line: an error answer is an object whose only field is
 * `error`, holding `code` and `message` strings; anything else is a result.
 * @throws OnelineError `ERR_ONELINE_JSON_SYNTAX` when the line is not JSON.
 */
export function decodeJsonAnswer(line: string): JsonAnswer {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new OnelineError('ERR_ONELINE_JSON_SYNTAX', `the answer is not JSON: ${(err as Error).message}`, { cause: err, origin: 'remote' });
  }
  // Keys are listed only when there is an `error` field (results rarely have one).
  const error = typeof value === 'object' && value !== null ? (value as { error?: unknown }).error : undefined;
  if (error !== undefined && !Array.isArray(value) && isErrorObject(error)) {
    const keys = Object.keys(value as object);
    if (keys.length === 1 && keys[0] === 'error') return { ok: false, error };
  }
  return { ok: true, result: value };
}

/**
 * The Standard Schema interface (v1), as implemented by Zod, Valibot,
 * ArkType and others: declared here so validators plug in with no runtime
 * dependency. Only what the router uses is declared.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** The result of a Standard Schema validation. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> };
