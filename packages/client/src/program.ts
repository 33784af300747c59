/**
 * The process side of `launch()`: a bounded tail of a program's output, and the registry that
 * makes sure no launched program outlives this process.
 *
 * Programs run in their own process group on POSIX, so a signal reaches everything they started
 * (a shell script's children, npm's node): `signalProgram` signals the group. On Windows there are
 * no groups; the program itself is signalled (`child.kill`).
 */
import type { ChildProcess } from 'node:child_process';

/** The last `max` bytes of a stream, kept as the chunks that arrived (never one growing string). */
export class OutputTail {
  #chunks: Buffer[] = [];
  #bytes = 0;
  #total = 0;

  constructor(readonly max: number) {}

  /** Bytes seen in all, kept or not. */
  get total(): number {
    return this.#total;
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    if (chunk.length >= this.max) {
      // Copy: a view would keep the whole (possibly large) chunk alive.
      this.#chunks = [Buffer.from(chunk.subarray(chunk.length - this.max))];
      this.#bytes = this.max;
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#bytes - this.#chunks[0]!.length >= this.max) this.#bytes -= this.#chunks.shift()!.length;
  }

  /** The kept bytes, at most `max`, decoded as UTF-8 (a character cut at the start is dropped). */
  text(): string {
    let all = Buffer.concat(this.#chunks, this.#bytes);
    if (all.length > this.max) all = all.subarray(all.length - this.max);
    if (this.#total > all.length) {
      // Cut somewhere: skip the continuation bytes of a character whose start was dropped.
      let skip = 0;
      while (skip < 3 && skip < all.length && (all[skip]! & 0xc0) === 0x80) skip++;
      all = all.subarray(skip);
    }
    return all.toString('utf8');
  }
}

/** Sends `signal` to the program (its whole process group on POSIX). Never throws: it may be gone. */
export function signalProgram(child: ChildProcess, signal: NodeJS.Signals, group: boolean): void {
  if (child.pid === undefined) return;
  try {
    if (group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // ESRCH: already gone.
  }
}

// Every launched program still running, with whether it has its own process group.
const live = new Map<ChildProcess, boolean>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAll(): void {
  for (const [child, group] of live) signalProgram(child, 'SIGKILL', group);
}

function onExit(): void {
  killAll();
}

function onSignal(signal: NodeJS.Signals): void {
  // Listening for a signal turns off Node's default (exit). When ours is the only listener, the
  // user wanted the default: kill the programs, stand aside and raise the signal again. With a
  // listener of their own, theirs decides (it may stop them gracefully); the exit hook still
  // kills whatever is left when the process exits.
  if (process.listenerCount(signal) !== 1) return;
  killAll();
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/**
 * Kills `child` (SIGKILL, its group too) if this process exits or gets SIGINT, SIGTERM or SIGHUP
 * while it runs. Forgotten once its stdio has closed (its helpers holding the pipes are gone too).
 */
export function trackProgram(child: ChildProcess, group: boolean): void {
  if (live.size === 0) install();
  live.set(child, group);
  const forget = () => {
    if (live.delete(child) && live.size === 0) uninstall();
  };
  child.once('close', forget);
  // A program that never started emits 'error' and may never emit 'close'.
  child.once('error', () => {
    if (child.pid === undefined) forget();
  });
}

/** Programs tracked right now (for tests). */
export function trackedPrograms(): number {
  return live.size;
}
