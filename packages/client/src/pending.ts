/**
 * One waiting call of the client (a request or a raw `recv()`): it collects
 * response lines as a `RequestReader`, expires as a `Deadline`, and settles
 * its promise exactly once. Kept small: with 200,000 requests in flight, its
 * size is most of the client's memory and garbage-collection work.
 */
import { OnelineError, RequestReader, type Payload, type ResponseLine } from '@socket-oneline/protocol';
import type { Deadline } from './deadlines.js';

/** How the answer ends: N lines, a predicate, a barrier's pong, a ping's pong, or one raw line. */
export type CollectMode = 'lines' | 'until' | 'barrier' | 'ping' | 'raw';

/** What a {@link Pending} asks of the client shell. */
export interface PendingOwner {
  giveUp(p: Pending, error: OnelineError): void;
  answered(p: Pending): void;
  maxLineLength: number;
}

/** Lines that did arrive before a request failed (on the error as `received`). */
export type ErrorWithLines = OnelineError & { received?: readonly ResponseLine[] };

// Rarely needed state, allocated only when used.
interface Extra {
  signal?: AbortSignal;
  onAbort?: () => void;
  tooLong?: OnelineError;
}

// Set by the shared executor below: no closure per promise. Only `resolve`
// is kept: a rejection resolves with a rejected promise, so the `reject`
// function dies at once instead of living (and being copied by every
// garbage collection) as long as the request is in flight.
let nextResolve: ((lines: ResponseLine[] | Promise<never>) => void) | undefined;
let lastPromise: Promise<ResponseLine[]> | undefined;
function capture(res: (lines: ResponseLine[] | Promise<never>) => void): void {
  nextResolve = res;
}
const NONE: readonly ResponseLine[] = Object.freeze([]);

/** The promise of the {@link Pending} constructed last (read it right after `new Pending`). */
export function takePromise(): Promise<ResponseLine[]> {
  const p = lastPromise!;
  lastPromise = undefined;
  return p;
}

// Index of a mode in `Pending.bits` (bits 0-2); bit 3 is "settled".
const MODES: readonly CollectMode[] = ['lines', 'until', 'barrier', 'ping', 'raw'];
const DONE_BIT = 8;
const UNTIL = 1;
const BARRIER = 2;
const PING = 3;

export class Pending extends RequestReader implements Deadline {
  // Allocated on the first line, sized for it.
  got: ResponseLine[] = NONE as ResponseLine[];
  // Whole ms (set when tracked): a small integer, so no boxed number per request.
  at = 0;
  // Mode and settled flag in one small integer: one field, not two.
  private bits: number;
  private extra: Extra | undefined = undefined;
  private readonly resolve: (lines: ResponseLine[] | Promise<never>) => void;

  constructor(
    private readonly owner: PendingOwner,
    mode: CollectMode,
    readonly command: Payload | undefined,
    // The line count ('lines') or the predicate ('until').
    private readonly arg: number | ((l: ResponseLine) => boolean),
    readonly timeout: number,
    signal: AbortSignal | undefined,
  ) {
    super();
    this.bits = MODES.indexOf(mode);
    lastPromise = new Promise<ResponseLine[]>(capture);
    this.resolve = nextResolve!;
    if (signal !== undefined) {
      const onAbort = () => {
        if (this.done) return;
        this.owner.giveUp(this, new OnelineError('ERR_ONELINE_ABORTED', `${this.what}: the operation was aborted`, { cause: signal.reason }));
      };
      this.extra = { signal, onAbort };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /** How the answer ends. */
  get mode(): CollectMode {
    return MODES[this.bits & 7]!;
  }

  /** True once settled. */
  get done(): boolean {
    return (this.bits & DONE_BIT) !== 0;
  }

  /** The call's name for messages. */
  get what(): string {
    return this.mode === 'raw' ? 'recv()' : 'request()';
  }

  onLine(line: ResponseLine): boolean {
    if (this.done) return true;
    if (line.invalid && line.reason === 'too-long' && this.extra?.tooLong === undefined) {
      (this.extra ??= {}).tooLong = new OnelineError(
        'ERR_ONELINE_LINE_TOO_LONG',
        `${this.what}: a response line of ${line.length} bytes exceeds maxLineLength (${this.owner.maxLineLength}); it was discarded`,
      );
    }
    let end: boolean;
    switch (this.bits & 7) {
      case BARRIER:
        end = !line.invalid && line.text === 'pong';
        if (!end) this.add(line);
        break;
      case PING:
        this.add(line);
        end = !line.invalid && line.text === 'pong';
        break;
      case UNTIL:
        this.add(line);
        end = safePredicate(this.arg as (l: ResponseLine) => boolean, line);
        break;
      default:
        this.add(line);
        end = this.got.length >= (this.arg as number);
    }
    if (end) {
      const tooLong = this.extra?.tooLong;
      if (tooLong !== undefined) this.settle(tooLong);
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

  expire(): void {
    if (this.done) return;
    const n = this.got.length;
    const partial = n === 0 ? '' : this.mode === 'lines' ? ` (${n} of ${String(this.arg)} lines arrived)` : ` (${n} lines arrived)`;
    this.owner.giveUp(this, new OnelineError('ERR_ONELINE_TIMEOUT', `${this.what}: no complete answer within ${this.timeout} ms${partial}`));
  }

  /** Settles once: resolves with the lines, or rejects with `error` carrying the lines that did arrive. */
  settle(error: OnelineError | undefined): void {
    if (this.done) return;
    this.bits |= DONE_BIT;
    const x = this.extra;
    if (x?.onAbort !== undefined) x.signal!.removeEventListener('abort', x.onAbort);
    if (error === undefined) {
      this.resolve(this.got === NONE ? [] : this.got);
      return;
    }
    if (this.got.length > 0 && (error.code === 'ERR_ONELINE_TIMEOUT' || error.code === 'ERR_ONELINE_ABORTED' || error.code === 'ERR_ONELINE_CLOSED')) {
      // A fresh error per request: the same close error may reach many of them.
      const e: ErrorWithLines = error.code === 'ERR_ONELINE_CLOSED' ? new OnelineError(error.code, error.message, { cause: error.cause }) : error;
      e.received = this.got;
      this.resolve(Promise.reject(e));
    } else this.resolve(Promise.reject(error));
  }

  private add(line: ResponseLine): void {
    if (this.got === NONE) this.got = [line];
    else this.got.push(line);
  }
}

function safePredicate(pred: (l: ResponseLine) => boolean, line: ResponseLine): boolean {
  try {
    return pred(line) === true;
  } catch {
    return true; // a throwing predicate ends the request rather than hanging it
  }
}
