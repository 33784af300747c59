/**
 * A first-in first-out queue with O(1) amortized push and shift: an array
 * and a head index. Taken slots are cleared at once (nothing taken stays
 * reachable), and the array is compacted once the taken prefix is both
 * large and most of it, so a queue that never quite empties stays bounded.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Items in the queue. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The front item, or undefined when empty. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Replaces the front item (e.g. with what is left of it). Only when not empty. */
  replaceFront(item: T): void {
    this.items[this.head] = item;
  }

  /** Removes and returns the front item, or undefined when empty. */
  shift(): T | undefined {
    const items = this.items;
    if (this.head === items.length) return undefined;
    const item = items[this.head];
    items[this.head++] = undefined;
    if (this.head === items.length) {
      items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  /** The backing array for bulk appends by a producer (e.g. a decoder's `feed`); only push to it. */
  get tail(): T[] {
    return this.items as T[];
  }

  /** Empties the queue. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
