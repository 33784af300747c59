/** The options and event types of `OnelineClient`. */
import type tls from 'node:tls';
import type { Logger, OnelineError, ResponseLine } from '@socket-oneline/protocol';

/**
 * Options of {@link OnelineClient}: give `port` (TCP) or `path` (Unix socket
 * or named pipe). Unknown keys and values of the wrong type are refused with
 * `ERR_ONELINE_INVALID_OPTION`; a key set to `undefined` counts as not given.
 */
export interface OnelineClientOptions {
  /** Server TCP port, 1..65535. Give `port` or {@link path}. */
  port?: number;
  /** Server host (TCP only). @defaultValue `'127.0.0.1'` */
  host?: string;
  /**
   * Connect to a local control socket instead of TCP: a Unix domain socket
   * file (Linux, macOS), or a Windows named pipe (`\\.\pipe\name`), the
   * same code path. Not with `host` or `port`. A missing socket file is
   * `ERR_ONELINE_REFUSED` (so `retryFor` waits for the server to create it).
   * @defaultValue undefined (TCP)
   */
  path?: string;
  /**
   * Connect with TLS (also over a `path`): `true` for defaults, or `tls.ConnectionOptions`
   * (`ca`, `cert`, `key`, `servername`, ...). @defaultValue undefined (no TLS)
   */
  tls?: boolean | tls.ConnectionOptions;
  /** Max ms for one connection attempt (TCP, TLS and the ping/pong handshake). @defaultValue 3000 (the original's handshake wait) */
  connectTimeout?: number;
  /** Keep retrying a refused or busy connect for up to this many ms in total (0: no retry). @defaultValue 0 */
  retryFor?: number;
  /**
   * Default max ms to wait for answers in `recv`, `request`, `ping`, `disconnect`; also how long a
   * realignment may wait for its `pong` before the connection is closed (`ERR_ONELINE_DESYNC`).
   * @defaultValue 3000
   */
  timeout?: number;
  /**
   * Max bytes of a response line; longer ones are discarded as they arrive and fail their request
   * with `ERR_ONELINE_LINE_TOO_LONG` (the connection stays in step).
   * @defaultValue 16 MiB (`DEFAULT_CLIENT_MAX_LINE_LENGTH`: one JSON document per line is common)
   */
  maxLineLength?: number;
  /** Strip one CR before the LF of each response. @defaultValue true */
  stripCR?: boolean;
  /** Stop reading from the socket while more than this many unread lines are queued. @defaultValue 10000 */
  maxQueuedLines?: number;
  /** Stop reading from the socket while unread lines hold more than this many bytes. @defaultValue 32 MiB */
  maxQueuedBytes?: number;
  /** Default cap on the lines of one answer (`request()`, any mode); over it: `ERR_ONELINE_RESPONSE_TOO_LARGE`. @defaultValue 100000 */
  maxResponseLines?: number;
  /** Default cap on the bytes of one answer; over it: `ERR_ONELINE_RESPONSE_TOO_LARGE`. @defaultValue 64 MiB */
  maxResponseBytes?: number;
  /** A console- or pino-shaped logger. @defaultValue silent */
  logger?: Logger;
  /** With no `logger`, print `[oneline-client] ...` lines to stderr. @defaultValue false */
  verbose?: boolean;
}

/** Per-call wait options. */
export interface WaitOptions {
  /** Max ms to wait; overrides the client's `timeout`. 0 waits forever. */
  timeout?: number;
  /** Cancels the wait (rejects with `ERR_ONELINE_ABORTED`). */
  signal?: AbortSignal;
}

/** How many response lines a {@link OnelineClient.request} collects. Give at most one of `lines`, `until`, `barrier`. */
export interface RequestOptions extends WaitOptions {
  /** Exactly this many lines (0 allowed, at most `maxLines`). @defaultValue 1 */
  lines?: number;
  /** Lines up to and including the first one for which this returns true. */
  until?: (line: ResponseLine) => boolean;
  /**
   * Send `ping` right after the command and collect every line before its
   * `pong` (the pong is not returned). The protocol has no end-of-response
   * marker; this is how to collect "zero or more" lines reliably.
   */
  barrier?: boolean;
  /** Cap on this answer's lines. @defaultValue the client's `maxResponseLines` */
  maxLines?: number;
  /** Cap on this answer's bytes. @defaultValue the client's `maxResponseBytes` */
  maxBytes?: number;
}

/** Events of {@link OnelineClient}. */
export interface OnelineClientEvents {
  /** The handshake completed. */
  connect: [];
  /** The connection closed; `error` is set when it was not a clean close. */
  close: [error: OnelineError | undefined];
  /** A socket or protocol error (also delivered to waiting calls). Having no listener never throws. */
  error: [error: OnelineError];
}
