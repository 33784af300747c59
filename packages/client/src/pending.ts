/**
 * One waiting call of the client (a request or a raw `recv()`): it collects
 * response lines as a `LineReader`, expires as a `Deadline`, and settles its
 * promise exactly once.
 */
import { OnelineError, RequestReader, type Payload, type RequestTicket, type ResponseLine } from '@socket-oneline/protocol';
import type { Deadline } from './deadlines.js';

/** How the answer ends: N lines, a predicate, a barrier's pong, a ping's pong, or one raw line. */
export type CollectMode = 'lines' | 'until' | 'barrier' | 'ping' | 'raw';

/** What a {@link Pending} asks of the client shell when it gives up. */
export interface PendingOwner {
  giveUp(p: Pending, error: OnelineError): void;
  answered(p: Pending): void;
  maxLineLength: number;
}

/** Lines that did arrive before a request failed (on the error as `received`). */
export type ErrorWithLines = OnelineError & { received?: readonly ResponseLine[] };

// Set by the shared executor below: no closure per promise.
let nextResolve: ((lines: ResponseLine[]) => void) | undefined;
let nextReject: ((err: OnelineError) => void) | undefined;
function capture(res: (lines: ResponseLine[]) => void, rej: (err: OnelineError) => void): void {
  nextResolve = res;
  nextReject = rej;
}
const NONE: readonly ResponseLine[] = Object.freeze([]);

export class Pending extends RequestReader implements Deadline {
  // Allocated on the first line, sized for it.
  got: ResponseLine[] = NONE as ResponseLine[];
  done = false;
  at = Infinity;
  ticket: RequestTicket | undefined;
  private tooLong: OnelineError | undefined;
  // Only when a signal is given: no closure per request otherwise.
  private onAbort: (() => void) | undefined;
  private readonly resolve: (lines: ResponseLine[]) => void;
  private readonly reject: (err: OnelineError) => void;
  readonly promise: Promise<ResponseLine[]>;

  constructor(
    private readonly owner: PendingOwner,
    readonly mode: CollectMode,
    readonly command: Payload | undefined,
    readonly count: number,
    readonly until: ((l: ResponseLine) => boolean) | undefined,
    readonly timeout: number,
    readonly what: string,
    readonly signal: AbortSignal | undefined,
  ) {
    super();
    this.promise = new Promise<ResponseLine[]>(capture);
    this.resolve = nextResolve!;
    this.reject = nextReject!;
    if (signal !== undefined) {
      this.onAbort = () => {
        if (this.done) return;
        this.owner.giveUp(this, new OnelineError('ERR_ONELINE_ABORTED', `${this.what}: the operation was aborted`, { cause: signal.reason }));
      };
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onLine(line: ResponseLine): boolean {
    if (this.done) return true;
    if (line.reason === 'too-long' && this.tooLong === undefined) {
      this.tooLong = new OnelineError(
        'ERR_ONELINE_LINE_TOO_LONG',
        `${this.what}: a response line of ${line.length} bytes exceeds maxLineLength (${this.owner.maxLineLength}); it was discarded`,
      );
    }
    let end: boolean;
    switch (this.mode) {
      case 'barrier':
        end = !line.invalid && line.text === 'pong';
        if (!end) this.add(line);
        break;
      case 'ping':
        this.add(line);
        end = !line.invalid && line.text === 'pong';
        break;
      case 'until':
        this.add(line);
        end = safePredicate(this.until!, line);
        break;
      default:
        this.add(line);
        end = this.got.length >= this.count;
    }
    if (end) {
      if (this.tooLong !== undefined) this.settle(this.tooLong);
      else {
        this.settle(undefined);
        this.owner.answered(this);
      }
    }
    return end;
  }

  onError(error: OnelineError): void {
    this.settle(error);
  }

  private add(line: ResponseLine): void {
    if (this.got === NONE) this.got = [line];
    else this.got.push(line);
  }

  expire(): void {
    if (this.done) return;
    const partial = this.mode === 'lines' && this.got.length > 0 ? ` (${this.got.length} of ${this.count} lines arrived)` : this.got.length > 0 ? ` (${this.got.length} lines arrived)` : '';
    this.owner.giveUp(this, new OnelineError('ERR_ONELINE_TIMEOUT', `${this.what}: no complete answer within ${this.timeout} ms${partial}`));
  }


  /** Settles once: resolves with the lines, or rejects with `error` carrying the lines that did arrive. */
  settle(error: OnelineError | undefined): void {
    if (this.done) return;
    this.done = true;
    if (this.onAbort !== undefined) this.signal!.removeEventListener('abort', this.onAbort);
    if (error === undefined) this.resolve(this.got === NONE ? [] : this.got);
    else {
      if (this.got.length > 0 && (error.code === 'ERR_ONELINE_TIMEOUT' || error.code === 'ERR_ONELINE_ABORTED' || error.code === 'ERR_ONELINE_CLOSED')) {
        // A fresh error per request: the same close error may reach many of them.
        const e: ErrorWithLines = error.code === 'ERR_ONELINE_CLOSED' ? new OnelineError(error.code, error.message, { cause: error.cause }) : error;
        e.received = this.got;
        this.reject(e);
      } else this.reject(error);
    }
  }
}

function safePredicate(pred: (l: ResponseLine) => boolean, line: ResponseLine): boolean {
  try {
    return pred(line) === true;
  } catch {
    return true; // a throwing predicate ends the request rather than hanging it
  }
}
