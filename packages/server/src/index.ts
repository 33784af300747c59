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
  OnelineError,
  isOnelineError,
  DEFAULT_MAX_LINE_LENGTH,
  type OnelineErrorCode,
  type Command,
  type InvalidReason,
  type Logger,
  type Payload,
} from '@socket-oneline/protocol';
