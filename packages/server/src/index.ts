// Our declarations use Buffer, node:events and node:tls: this makes them load
// @types/node in a consumer whose tsconfig lists no `types` (the TS 6 default).
// `preserve` keeps it in the emitted index.d.ts (tsc drops it otherwise).
/// <reference types="node" preserve="true" />
/**
 * `@socket-oneline/server`: a one-client line server on node:net / node:tls,
 * a thin shell around `@socket-oneline/protocol`.
 * @packageDocumentation
 */
export {
  OnelineServer,
  type OnelineServerOptions,
  type OnelineServerTlsOptions,
  type OnelineServerEvents,
  type CommandHandler,
  type HandlerResult,
  type HandlerContext,
  type Reply,
  type DisconnectReason,
  type ClientInfo,
} from './server.js';
export { serverChannels } from './diagnostics.js';
export {
  jsonRouter,
  JsonCommandError,
  type JsonHandlers,
  type JsonHandlerContext,
  type JsonRouterOptions,
} from './json-router.js';
export {
  OnelineError,
  isOnelineError,
  DEFAULT_MAX_LINE_LENGTH,
  type OnelineErrorCode,
  type Command,
  type CommandMap,
  type StandardSchemaV1,
  type InvalidReason,
  type Logger,
  type Payload,
} from '@socket-oneline/protocol';
