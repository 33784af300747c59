// Our declarations use Buffer, node:events and node:tls: this makes them load
// @types/node in a consumer whose tsconfig lists no `types` (the TS 6 default).
// `preserve` keeps it in the emitted index.d.ts (tsc drops it otherwise).
/// <reference types="node" preserve="true" />
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
  type LaunchFailure,
} from './errors.js';
export {
  LineDecoder,
  DEFAULT_MAX_LINE_LENGTH,
  SEGMENT_BYTES,
  resolveDecoderOptions,
  type LineDecoderOptions,
  type DecoderEvent,
  type DecoderSink,
  type LineEvent,
  type OverflowEvent,
  type IncompleteEvent,
} from './decoder.js';
export { encodeLine, encodeLineText, encodeLines, type Payload } from './encoder.js';
export { nextState, compileTable, illegalTransition, type Role, type TransitionTable, type CompiledState } from './fsm.js';
export {
  ServerSession,
  SERVER_TRANSITIONS,
  BUILTIN_COMMANDS,
  type BuiltinCommand,
  type ServerState,
  type ServerEvent,
  type ServerStep,
  type ServerSessionOptions,
  type Command,
  type InvalidReason,
} from './server-session.js';
export {
  ClientSession,
  CLIENT_TRANSITIONS,
  CLIENT_BUDGET_DEFAULTS,
  DEFAULT_CLIENT_MAX_LINE_LENGTH,
  TLS_REQUIRED_LINE,
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
export {
  encodeJsonCommand,
  encodeJsonResult,
  encodeJsonError,
  decodeJsonCommand,
  decodeJsonAnswer,
  DEFAULT_COMMAND_FIELD,
  type CommandMap,
  type CommandSpec,
  type CommandSpecs,
  type CommandName,
  type ParamsOf,
  type ResultOf,
  type JsonErrorObject,
  type JsonCommand,
  type JsonCodecOptions,
  type JsonAnswer,
  type StandardSchemaV1,
  type StandardSchemaResult,
} from './json.js';
export { Fifo } from './fifo.js';
export {
  resolveLogger,
  silentLogger,
  escapeControl,
  type Logger,
  type ResolvedLogger,
  type TextSink,
} from './logger.js';
