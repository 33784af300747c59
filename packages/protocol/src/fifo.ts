/**
 * A first-in first-out queue: a ring buffer whose capacity grows by
 * doubling and is kept between uses, so a queue that fills and empties on
 * every socket chunk does not reallocate (and garbage-collect) its storage
 * each time. Taken slots are cleared at once, so nothing taken stays
 * reachable. A very large, empty ring is released.
 */
export class Fifo<T> {
  private items: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(capacity = 16) {
    this.items = new Array<T | undefined>(capacity).fill(undefined);
  }

  /** Items in the queue. */
  get length(): number {
    return this.size;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    let items = this.items;
    if (this.size === items.length) items = this.grow();
    items[(this.head + this.size) & (items.length - 1)] = item;
    this.size++;
  }

  /** The front item, or undefined when empty. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  /** The item at `i` (0 = oldest), or undefined. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.size ? this.items[(this.head + i) & (this.items.length - 1)] : undefined;
  }

  /** Removes every item and returns them, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.head + i) & (this.items.length - 1)] as T);
    this.clear();
    return out;
  }

  /** Replaces the front item (e.g. with what is left of it). Only when not empty. */
  replaceFront(item: T): void {
    this.items[this.head] = item;
  }

  /** Removes and returns the front item, or undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const items = this.items;
    const item = items[this.head];
    items[this.head] = undefined;
    this.head = (this.head + 1) & (items.length - 1);
    this.size--;
    return item;
  }

  /** Empties the queue (a ring grown past 64 Ki slots is released). */
  clear(): void {
    if (this.items.length > 65536) this.items = new Array<T | undefined>(16).fill(undefined);
    else this.items.fill(undefined);
    this.head = 0;
    this.size = 0;
  }

  private grow(): (T | undefined)[] {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
    return next;
  }
}
