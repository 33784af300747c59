/**
 * One timer for all the waits of a connection: deadlines that arrive in
 * order (the common case: one default timeout) go to a FIFO, the others to
 * a binary min-heap, and a single `setTimeout` is armed for the earliest. A
 * timer per request cost as much as the request itself when 200,000 were in
 * flight.
 */
import { Fifo } from '@socket-oneline/protocol';

/** Something with a deadline (ms on the `performance.now()` clock). */
export interface Deadline {
  readonly at: number;
  /** True once settled some other way: the entry is then just dropped. */
  readonly done: boolean;
  /** The deadline passed. */
  expire(): void;
}

/** Deadlines served by one timer. */
export class DeadlineTimer {
  private readonly fifo = new Fifo<Deadline>();
  private lastAt = -Infinity;
  private readonly heap: Deadline[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private idle = false;

  /** Entries held (settled ones are dropped lazily). */
  get size(): number {
    return this.fifo.length + this.heap.length;
  }

  /** Adds a deadline; re-arms the timer only when it is the new earliest. */
  add(d: Deadline): void {
    if (d.at >= this.lastAt || this.fifo.length === 0) {
      this.fifo.push(d);
      this.lastAt = d.at;
      this.wake(d.at);
      return;
    }
    const h = this.heap;
    let i = h.length;
    h.push(d);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= d.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = d;
    this.wake(d.at);
  }

  // An armed timer due no later than `at` serves it (it re-arms when it fires
  // early), so back-to-back requests cost no timer calls at all.
  private wake(at: number): void {
    if (this.timer !== undefined && this.armedAt <= at) {
      if (this.idle) {
        this.timer.ref();
        this.idle = false;
      }
      return;
    }
    this.arm(at);
  }

  /** Drops settled entries from the top (answers usually come in deadline order). */
  prune(): void {
    const f = this.fifo;
    while (f.length > 0 && f.peek()!.done) f.shift();
    while (this.heap.length > 0 && this.heap[0]!.done) this.pop();
    // Nothing left: keep the timer for the next wait, but let the process exit.
    if (f.length === 0 && this.heap.length === 0 && this.timer !== undefined && !this.idle) {
      this.timer.unref();
      this.idle = true;
    }
  }

  /** Drops everything and stops the timer. */
  clear(): void {
    this.fifo.drain();
    this.heap.length = 0;
    this.disarm();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = performance.now();
    const f = this.fifo;
    // Oldest first across both, so expiries run in deadline order.
    for (;;) {
      const a = f.peek();
      const b = this.heap[0];
      const top = a === undefined ? b : b === undefined || a.at <= b.at ? a : b;
      if (top === undefined || (!top.done && top.at > now)) break;
      if (top === a) f.shift();
      else this.pop();
      if (!top.done) top.expire();
    }
    const next = Math.min(f.peek()?.at ?? Infinity, this.heap[0]?.at ?? Infinity);
    if (next < Infinity) this.arm(next);
  };

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    this.idle = false;
    this.timer = setTimeout(this.fire, Math.max(0, Math.ceil(at - performance.now())));
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
    this.idle = false;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
