/**
 * One waiting call of the client (a request or a raw `recv()`): it collects
 * response lines as a `RequestReader`, expires as a `Deadline`, and settles
 * its promise exactly once. Kept small: with 200,000 requests in flight,
 * what each one keeps alive is most of the client's memory and
 * garbage-collection work, so what requests with the same options have in
 * common lives in one shared {@link PendingSpec}.
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

/**
 * How a call collects and when it expires. Immutable once made: calls with
 * the same options share one (the client keeps one per mode for one-line
 * answers with the default timeout); a call with a signal or a too-long line
 * gets its own copy.
 */
export interface PendingSpec {
  readonly owner: PendingOwner;
  readonly mode: CollectMode;
  /** The line count ('lines') or the predicate ('until'). */
  readonly arg: number | ((l: ResponseLine) => boolean);
  readonly timeout: number;
  readonly signal?: AbortSignal;
  readonly onAbort?: () => void;
  readonly tooLong?: OnelineError;
}

/** Lines that did arrive before a request failed (on the error as `received`). */
export type ErrorWithLines = OnelineError & { received?: readonly ResponseLine[] };

// Set by the shared executor below: no closure per promise. Only `resolve`
// is kept: a rejection resolves with a rejected promise, so the `reject`
// function dies at once instead of living (and being copied by every
// garbage collection) as long as the request is in flight.
type Resolve = (lines: ResponseLine[] | Promise<never>) => void;
let nextResolve: Resolve | undefined;
let lastPromise: Promise<ResponseLine[]> | undefined;
function capture(res: Resolve): void {
  nextResolve = res;
}
const NONE: readonly ResponseLine[] = Object.freeze([]);

/** The promise of the {@link Pending} constructed last (read it right after `new Pending`). */
export function takePromise(): Promise<ResponseLine[]> {
  const p = lastPromise!;
  lastPromise = undefined;
  return p;
}

export class Pending extends RequestReader implements Deadline {
  // Allocated on the first line, sized for it.
  got: ResponseLine[] = NONE as ResponseLine[];
  // Whole ms (set when tracked): a small integer, so no boxed number per request.
  at = 0;
  // Undefined once settled (that is what `done` reads): no separate flag.
  private resolve: Resolve | undefined;
  private spec: PendingSpec;

  /** `spec` is shared unless `signal` is given (the call then gets its own). */
  constructor(
    spec: PendingSpec,
    readonly command: Payload | undefined,
    signal: AbortSignal | undefined,
  ) {
    super();
    lastPromise = new Promise<ResponseLine[]>(capture);
    this.resolve = nextResolve;
    if (signal !== undefined) {
      const onAbort = () => {
        if (this.done) return;
        this.spec.owner.giveUp(this, new OnelineError('ERR_ONELINE_ABORTED', `${this.what}: the operation was aborted`, { cause: signal.reason }));
      };
      spec = { ...spec, signal, onAbort };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    this.spec = spec;
  }

  /** How the answer ends. */
  get mode(): CollectMode {
    return this.spec.mode;
  }

  /** The timeout in ms (0: none). */
  get timeout(): number {
    return this.spec.timeout;
  }

  /** True once settled. */
  get done(): boolean {
    return this.resolve === undefined;
  }

  /** The call's name for messages. */
  get what(): string {
    return this.spec.mode === 'raw' ? 'recv()' : 'request()';
  }

  onLine(line: ResponseLine): boolean {
    if (this.resolve === undefined) return true;
    const spec = this.spec;
    if (line.invalid && line.reason === 'too-long' && spec.tooLong === undefined) {
      // Copied, never written into: the spec may be shared.
      this.spec = {
        ...spec,
        tooLong: new OnelineError(
          'ERR_ONELINE_LINE_TOO_LONG',
          `${this.what}: a response line of ${line.length} bytes exceeds maxLineLength (${spec.owner.maxLineLength}); it was discarded`,
        ),
      };
    }
    let end: boolean;
    switch (spec.mode) {
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
        end = safePredicate(spec.arg as (l: ResponseLine) => boolean, line);
        break;
      default:
        this.add(line);
        end = this.got.length >= (spec.arg as number);
    }
    if (end) {
      const tooLong = this.spec.tooLong;
      if (tooLong !== undefined) this.settle(tooLong);
      else {
        this.settle(undefined);
        spec.owner.answered(this);
      }
    }
    return end;
  }

  onError(error: OnelineError): void {
    this.settle(error);
  }

  expire(): void {
    if (this.done) return;
    const { mode, arg, timeout, owner } = this.spec;
    const n = this.got.length;
    const partial = n === 0 ? '' : mode === 'lines' ? ` (${n} of ${String(arg)} lines arrived)` : ` (${n} lines arrived)`;
    owner.giveUp(this, new OnelineError('ERR_ONELINE_TIMEOUT', `${this.what}: no complete answer within ${timeout} ms${partial}`));
  }

  /** Settles once: resolves with the lines, or rejects with `error` carrying the lines that did arrive. */
  settle(error: OnelineError | undefined): void {
    const resolve = this.resolve;
    if (resolve === undefined) return;
    this.resolve = undefined;
    const x = this.spec;
    if (x.onAbort !== undefined) x.signal!.removeEventListener('abort', x.onAbort);
    if (error === undefined) {
      resolve(this.got === NONE ? [] : this.got);
      return;
    }
    if (this.got.length > 0 && (error.code === 'ERR_ONELINE_TIMEOUT' || error.code === 'ERR_ONELINE_ABORTED' || error.code === 'ERR_ONELINE_CLOSED')) {
      // A fresh error per request: the same close error may reach many of them.
      const e: ErrorWithLines = error.code === 'ERR_ONELINE_CLOSED' ? new OnelineError(error.code, error.message, { cause: error.cause }) : error;
      e.received = this.got;
      resolve(Promise.reject(e));
    } else resolve(Promise.reject(error));
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
