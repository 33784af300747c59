// The handler contract: what the user's handler gets and may return, and the
// per-call context (reply, lazy AbortSignal) the connection hands it.
import { OnelineError, encodeLine, type Command, type Payload } from '@socket-oneline/protocol';

/** What a handler may return: nothing, one line, or several lines, each sent with LF. */
export type HandlerResult = void | undefined | null | Payload | readonly Payload[];

/**
 * Sends one answer line to the client of the command being handled. Returns
 * false once the answers waiting to be written exceed `writeHighWaterMark`:
 * a handler streaming many lines should then `await context.drained()`.
 * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD` if the line contains LF;
 *   `ERR_ONELINE_INVALID_PAYLOAD` if it is neither a string nor a Uint8Array.
 */
export type Reply = (line: Payload) => boolean;

/** Information about a client connection. */
export interface ClientInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True when the connection is TLS. */
  readonly tls: boolean;
}

/** The third argument of a {@link CommandHandler}. */
export interface HandlerContext {
  /**
   * Aborted while this handler is still running if its client is gone (reset,
   * or a half-close with no progress for `closeGrace`), on `handlerTimeout`,
   * and when `server.close()` gives up waiting for it. The reason is an
   * `OnelineError` (`ERR_ONELINE_CLOSED` or `ERR_ONELINE_TIMEOUT`). Made on
   * first access, so handlers that never look cost nothing.
   */
  readonly signal: AbortSignal;
  /** The client this command came from. */
  readonly client: ClientInfo;
  /** The same function as the handler's `reply` argument. */
  readonly reply: Reply;
  /**
   * Resolves once the answers waiting to be written are back at or below
   * `writeHighWaterMark` (at once when they are, or when the connection is
   * over). Lets a handler that streams a long answer keep memory bounded.
   */
  drained(): Promise<void>;
}

/**
 * The user's command handler. Gets every command that is not a built-in, in
 * arrival order, including invalid ones (`command.invalid`, `command.reason`).
 * Answer by returning lines, by calling `reply`, or both (replies first). If
 * it returns a promise the next command waits for it; `context.signal` says
 * when its answer is no longer wanted.
 */
export type CommandHandler = (
  command: Command,
  reply: Reply,
  context: HandlerContext,
) => HandlerResult | Promise<HandlerResult>;

/** Where a call's answers go: the connection's session, while the call is live. */
export interface CallTarget {
  readonly info: ClientInfo;
  /** Queues one answer; throws the session's typed errors; false once over the high-water mark. */
  answer(line: Payload): boolean;
  /** Resolves once the output is at or below the high-water mark. */
  drained(): Promise<void>;
  /** A reply after the handler finished: dropped with a warning. */
  late(): void;
}

/** One handler invocation: its reply function and its lazily made AbortController. */
export class HandlerCall implements HandlerContext {
  private controller: AbortController | undefined;
  private abortReason: OnelineError | undefined;
  private live = true;
  readonly reply: Reply;

  constructor(private readonly target: CallTarget) {
    // A bound function: one allocation, no closure context.
    this.reply = replyOf.bind(this);
  }

  /** @internal The body of {@link reply}. */
  replyLine(line: Payload): boolean {
    if (!this.live) {
      encodeLine(line); // still report a LF to the caller
      this.target.late();
      return false;
    }
    return this.target.answer(line);
  }

  drained(): Promise<void> {
    return this.target.drained();
  }

  /** The connection is closing: the signal is aborted, but answers still count. */
  wrapUp(reason: OnelineError): void {
    this.abortReason ??= reason;
    this.controller?.abort(reason);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // First looked at after the abort (e.g. in a late callback): aborted already.
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get client(): ClientInfo {
    return this.target.info;
  }

  /** The handler settled (or was given up on): later replies are dropped. */
  finish(): void {
    this.live = false;
  }

  /** Gives up on the handler: aborts its signal (if it was made) and drops later replies. */
  abort(reason: OnelineError): void {
    this.live = false;
    this.abortReason ??= reason;
    this.controller?.abort(reason);
  }
}

function replyOf(this: HandlerCall, line: Payload): boolean {
  return this.replyLine(line);
}

/** Wraps whatever a handler threw or rejected with. */
export function handlerError(err: unknown, what: string): OnelineError {
  const msg = err instanceof Error ? err.message : String(err);
  return new OnelineError('ERR_ONELINE_HANDLER_FAILED', `command handler ${what}: ${msg}`, { cause: err });
}

/** True for anything with a `then` method (a promise or a foreign thenable). */
export function isThenable(v: unknown): v is PromiseLike<HandlerResult> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Checks a handler's result: every line of an array first, so an array with
 * a bad line sends nothing.
 * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD`.
 */
export function checkResult(result: HandlerResult): void {
  if (result === undefined || result === null || typeof result === 'string' || result instanceof Uint8Array) return;
  for (const l of result as readonly Payload[]) {
    if (typeof l === 'string' ? l.indexOf('\n') !== -1 : l.indexOf(0x0a) !== -1) encodeLine(l);
  }
}
