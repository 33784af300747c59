/**
 * `@socket-oneline/protocol`: the pure (sans-I/O) core of the oneline
 * protocol: line framing, limits, encoding, the server and client session
 * state machines, and the error family. No sockets, files, timers or clocks.
 * @packageDocumentation
 */
export {
  OnelineError,
  isOnelineError,
  ONELINE_ERROR_CODES,
  type OnelineErrorCode,
  type OnelineErrorOrigin,
  type OnelineErrorOptions,
} from './errors.js';
export {
  LineDecoder,
  DEFAULT_MAX_LINE_LENGTH,
  resolveDecoderOptions,
  type LineDecoderOptions,
  type DecoderEvent,
  type LineEvent,
  type OverflowEvent,
  type IncompleteEvent,
} from './decoder.js';
export { encodeLine, encodeLineText, encodeLines, type Payload } from './encoder.js';
export { nextState, type Role, type TransitionTable } from './fsm.js';
export {
  ServerSession,
  SERVER_TRANSITIONS,
  BUILTIN_COMMANDS,
  type BuiltinCommand,
  type ServerState,
  type ServerEvent,
  type ServerAction,
  type ServerActionSink,
  type ReplyAction,
  type Command,
  type InvalidReason,
} from './server-session.js';
export {
  ClientSession,
  CLIENT_TRANSITIONS,
  CLIENT_BUDGET_DEFAULTS,
  DEFAULT_CLIENT_MAX_LINE_LENGTH,
  RequestReader,
  type RequestLimits,
  type RequestTicket,
  type ClientState,
  type ClientEvent,
  type ClientAction,
  type ClientSessionOptions,
  type LineReader,
  type ResponseLine,
} from './client-session.js';
export { decodeDroppingInvalid } from './utf8.js';
export { Deque } from './deque.js';
export {
  resolveLogger,
  silentLogger,
  type Logger,
  type ResolvedLogger,
  type TextSink,
} from './logger.js';
