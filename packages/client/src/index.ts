// Our declarations use Buffer, node:events and node:tls: this makes them load
// @types/node in a consumer whose tsconfig lists no `types` (the TS 6 default).
// `preserve` keeps it in the emitted index.d.ts (tsc drops it otherwise).
/// <reference types="node" preserve="true" />
/**
 * `@socket-oneline/client`: a typed, promise-based client for oneline
 * servers (ours and the Python original), a thin shell around
 * `@socket-oneline/protocol`.
 * @packageDocumentation
 */
export {
  OnelineClient,
  type OnelineClientOptions,
  type OnelineClientEvents,
  type WaitOptions,
  type RequestOptions,
  type ResponseLine,
} from './client.js';
export { JsonClient, type JsonClientOptions, type CallArgs } from './json-client.js';
export { clientChannels } from './diagnostics.js';
export { launch, LaunchedProgram, type LaunchOptions, type ProgramExit, type StopOptions } from './launch.js';
export {
  OnelineError,
  isOnelineError,
  DEFAULT_MAX_LINE_LENGTH,
  DEFAULT_CLIENT_MAX_LINE_LENGTH,
  CLIENT_BUDGET_DEFAULTS,
  type OnelineErrorCode,
  type LaunchFailure,
  type InvalidReason,
  type CommandMap,
  type Logger,
  type Payload,
} from '@socket-oneline/protocol';
