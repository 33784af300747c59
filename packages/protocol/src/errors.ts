/**
 * One error family for every socket-oneline package.
 *
 * Every error thrown or emitted by `@socket-oneline/*` is an {@link OnelineError}
 * with a stable {@link OnelineErrorCode}. Match on `err.code`, never on the
 * message: messages may be reworded, codes are part of the public API.
 *
 * `origin` tells who is at fault, as h11 does with local and remote errors:
 * - `'local'`: this program misused the API (e.g. a response containing LF);
 * - `'remote'`: the peer did something wrong or went away (e.g. a line too long);
 * - `'environment'`: the OS or network refused (e.g. port in use, connection refused).
 */

/** Stable error codes. Documented in the top-level README's error table. */
export type OnelineErrorCode =
  /** A payload to send contains a LF byte, which would split it into two packets. */
  | 'ERR_ONELINE_LF_IN_PAYLOAD'
  /** A payload to send is neither a string nor a Uint8Array. */
  | 'ERR_ONELINE_INVALID_PAYLOAD'
  /** A received line is longer than `maxLineLength`. */
  | 'ERR_ONELINE_LINE_TOO_LONG'
  /** An option has a value outside its allowed range. */
  | 'ERR_ONELINE_INVALID_OPTION'
  /** A protocol state machine got an event its current state does not allow. */
  | 'ERR_ONELINE_ILLEGAL_TRANSITION'
  /** The server is serving another client (it closed this connection at once). */
  | 'ERR_ONELINE_BUSY'
  /** Nothing is listening at the address (ECONNREFUSED). */
  | 'ERR_ONELINE_REFUSED'
  /** The `ping` → `pong` handshake got another answer. */
  | 'ERR_ONELINE_HANDSHAKE_FAILED'
  /** A wait (connect, response, close) took longer than its timeout. */
  | 'ERR_ONELINE_TIMEOUT'
  /** The connection is closed (or was closed while waiting). */
  | 'ERR_ONELINE_CLOSED'
  /** The operation was cancelled through an `AbortSignal`. */
  | 'ERR_ONELINE_ABORTED'
  /** The operation needs a connection and there is none. */
  | 'ERR_ONELINE_NOT_CONNECTED'
  /** The address to listen on is already in use (EADDRINUSE). */
  | 'ERR_ONELINE_ADDRESS_IN_USE'
  /** Listening failed for another reason (e.g. EACCES, EADDRNOTAVAIL). */
  | 'ERR_ONELINE_LISTEN_FAILED'
  /** The server is not in a state that allows the call (e.g. `listen()` twice). */
  | 'ERR_ONELINE_SERVER_STATE'
  /** The user's command handler threw, rejected or timed out. */
  | 'ERR_ONELINE_HANDLER_FAILED'
  /** The connection was reset or failed at the socket level. */
  | 'ERR_ONELINE_SOCKET'
  /**
   * TLS failed: a handshake or certificate was refused (by either side), or
   * one side speaks TLS and the other does not. Retrying will not help.
   */
  | 'ERR_ONELINE_TLS'
  /** A JSON command line is not JSON. */
  | 'ERR_ONELINE_JSON_SYNTAX'
  /** A JSON command is not a JSON object. */
  | 'ERR_ONELINE_JSON_NOT_OBJECT'
  /** A JSON command has no string command field (`cmd` by default). */
  | 'ERR_ONELINE_JSON_NO_COMMAND'
  /** A JSON command names a command the router does not know. */
  | 'ERR_ONELINE_UNKNOWN_COMMAND'
  /** A JSON command's parameters failed its validation. */
  | 'ERR_ONELINE_BAD_PARAMS'
  /** A JSON command's handler threw or rejected (the default code of the error answer). */
  | 'ERR_ONELINE_COMMAND_FAILED'
  /** `call()` got an error answer from the server; `err.remote` holds the server's error object. */
  | 'ERR_ONELINE_REMOTE_ERROR'
  /** An answer went over a per-request cap (`maxResponseLines` / `maxResponseBytes`); the client realigned. */
  | 'ERR_ONELINE_RESPONSE_TOO_LARGE'
  /** The client could not tell this request's answer apart from an earlier failed request's, or the server did not answer the realignment `ping`. */
  | 'ERR_ONELINE_DESYNC'
  /**
   * A launched program could not be started, exited or was not ready in time; `err.program`
   * holds its command line, exit code or signal, and the tail of its output.
   */
  | 'ERR_ONELINE_LAUNCH_FAILED';

/** Who is at fault. */
export type OnelineErrorOrigin = 'local' | 'remote' | 'environment';

/** Options for {@link OnelineError}. */
export interface OnelineErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Who is at fault; defaults from the code. */
  origin?: OnelineErrorOrigin;
  /** With `ERR_ONELINE_REMOTE_ERROR`: the error object the server answered with. */
  remote?: { readonly code: string; readonly message: string; readonly details?: unknown };
  /** With `ERR_ONELINE_LAUNCH_FAILED`: what the launched program did. */
  program?: LaunchFailure;
}

/** What a program that failed to launch did (`err.program` of `ERR_ONELINE_LAUNCH_FAILED`). */
export interface LaunchFailure {
  /** The command line, as given to `launch()`. */
  readonly command: string;
  /** Its process id, if it was started. */
  readonly pid: number | undefined;
  /** Its exit code, or `null` if it was ended by a signal or never started. */
  readonly exitCode: number | null;
  /** The signal that ended it, or `null`. */
  readonly signal: string | null;
  /** The last bytes of its stdout and stderr (bounded), decoded as UTF-8. */
  readonly stdout: string;
  readonly stderr: string;
}

const DEFAULT_ORIGIN: Record<OnelineErrorCode, OnelineErrorOrigin> = {
  ERR_ONELINE_LF_IN_PAYLOAD: 'local',
  ERR_ONELINE_INVALID_PAYLOAD: 'local',
  ERR_ONELINE_LINE_TOO_LONG: 'remote',
  ERR_ONELINE_INVALID_OPTION: 'local',
  ERR_ONELINE_ILLEGAL_TRANSITION: 'local',
  ERR_ONELINE_BUSY: 'remote',
  ERR_ONELINE_REFUSED: 'environment',
  ERR_ONELINE_HANDSHAKE_FAILED: 'remote',
  ERR_ONELINE_TIMEOUT: 'remote',
  ERR_ONELINE_CLOSED: 'remote',
  ERR_ONELINE_ABORTED: 'local',
  ERR_ONELINE_NOT_CONNECTED: 'local',
  ERR_ONELINE_ADDRESS_IN_USE: 'environment',
  ERR_ONELINE_LISTEN_FAILED: 'environment',
  ERR_ONELINE_SERVER_STATE: 'local',
  ERR_ONELINE_HANDLER_FAILED: 'local',
  ERR_ONELINE_SOCKET: 'environment',
  ERR_ONELINE_TLS: 'remote',
  ERR_ONELINE_JSON_SYNTAX: 'remote',
  ERR_ONELINE_JSON_NOT_OBJECT: 'remote',
  ERR_ONELINE_JSON_NO_COMMAND: 'remote',
  ERR_ONELINE_UNKNOWN_COMMAND: 'remote',
  ERR_ONELINE_BAD_PARAMS: 'remote',
  ERR_ONELINE_COMMAND_FAILED: 'remote',
  ERR_ONELINE_REMOTE_ERROR: 'remote',
  ERR_ONELINE_RESPONSE_TOO_LARGE: 'remote',
  ERR_ONELINE_DESYNC: 'remote',
  ERR_ONELINE_LAUNCH_FAILED: 'environment',
};

/** Every stable error code, for documentation and exhaustive tests. */
export const ONELINE_ERROR_CODES: readonly OnelineErrorCode[] = Object.freeze(
  Object.keys(DEFAULT_ORIGIN) as OnelineErrorCode[],
);

/**
 * The error type of every socket-oneline package.
 *
 * @example
 * ```ts
 * try { encodeLine('a\nb'); } catch (e) {
 *   if (isOnelineError(e, 'ERR_ONELINE_LF_IN_PAYLOAD')) { ... }
 * }
 * ```
 */
export class OnelineError extends Error {
  /** Stable machine-readable code. */
  readonly code: OnelineErrorCode;
  /** Who is at fault. */
  readonly origin: OnelineErrorOrigin;
  /** With `ERR_ONELINE_REMOTE_ERROR`: the server's error object (`code`, `message`, `details`). */
  readonly remote?: { readonly code: string; readonly message: string; readonly details?: unknown };
  /** With `ERR_ONELINE_LAUNCH_FAILED`: the program's command line, exit and last output. */
  readonly program?: LaunchFailure;

  constructor(code: OnelineErrorCode, message: string, options: OnelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OnelineError';
    this.code = code;
    this.origin = options.origin ?? DEFAULT_ORIGIN[code];
    if (options.remote !== undefined) this.remote = options.remote;
    if (options.program !== undefined) this.program = options.program;
  }
}

/**
 * True when `err` is an {@link OnelineError}, optionally with the given code.
 * Works across duplicate copies of the package (it checks the shape, not the class).
 */
export function isOnelineError(err: unknown, code?: OnelineErrorCode): err is OnelineError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  if (e.name !== 'OnelineError' || typeof e.code !== 'string') return false;
  return code === undefined || e.code === code;
}
