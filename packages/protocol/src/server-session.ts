/**
 * The server side of one connection, as a state machine with no I/O.
 *
 * Theory of operation (after h11): the session owns the order of work, the
 * output and flow control; the shell (e.g. `@socket-oneline/server`) only
 * moves bytes and owns the timers.
 *
 * - Input: the shell feeds what it reads to {@link ServerSession.receive}.
 *   Chunks are kept as raw bytes, counted against `maxQueuedBytes`, and
 *   decoded one line at a time as `next()` wants them (no object per queued
 *   line: a flood of empty lines costs one byte each);
 *   {@link ServerSession.wantsData} tells the shell whether to keep reading.
 *   Reading goes on while a handler runs, so the shell sees the client leave.
 * - Work: the shell pulls with {@link ServerSession.next}. It gets either a
 *   {@link Command} for the user's handler (answers go through
 *   {@link ServerSession.send}, then the shell calls
 *   {@link ServerSession.done}), or a {@link ServerStep} saying what to wait
 *   for. Built-ins are answered inside `next()`. No command starts while the
 *   bytes waiting to be written exceed `writeHighWaterMark` (`'paused'`): flow
 *   control is per command, whatever one command answers.
 * - Output: {@link ServerSession.send} encodes and counts each line;
 *   {@link ServerSession.output} hands the shell the next piece to write (at
 *   most one write window in flight, so progress is visible to a slow
 *   reader), and {@link ServerSession.written} reports a write handed to the
 *   kernel. A close (`disconnect`, `shutdown`, {@link ServerSession.close},
 *   end of input) ends the connection only after every byte produced before
 *   it was written: `next()` says `'end'` then, once.
 *
 * Every lifecycle change goes through {@link SERVER_TRANSITIONS}; an event a
 * state does not list throws `ERR_ONELINE_ILLEGAL_TRANSITION` naming role,
 * state and event. `*-running` states have a handler in progress:
 *
 * | state               | data                | eof                 | run                 | done        | disconnect | shutdown | close           | finish | gone   | send                |
 * | ------------------- | ------------------- | ------------------- | ------------------- | ----------- | ---------- | -------- | --------------- | ------ | ------ | ------------------- |
 * | open                | open                | half-closed         | running             | -           | closing    | closing  | closing         | -      | error  | open                |
 * | running             | running             | half-closed-running | -                   | open        | -          | -        | closing-running | -      | error  | running             |
 * | half-closed         | -                   | -                   | half-closed-running | -           | closing    | closing  | closing         | -      | error  | half-closed         |
 * | half-closed-running | -                   | -                   | -                   | half-closed | -          | -        | closing-running | -      | error  | half-closed-running |
 * | closing             | closing             | closing             | -                   | -           | -          | -        | closing         | ended  | error  | -                   |
 * | closing-running     | closing-running     | closing-running     | -                   | closing     | -          | -        | closing-running | -      | error  | closing-running     |
 * | ended               | ended               | ended               | -                   | -           | -          | -        | ended           | -      | closed | -                   |
 * | closed              | -                   | -                   | -                   | -           | -          | -        | closed          | -      | closed | -                   |
 * | error               | -                   | -                   | -                   | error       | -          | -        | error           | -      | error  | -                   |
 *
 * Events: `data` bytes read; `eof` the client ended its side (half-close);
 * `run`/`done` a handler starts/settles; `disconnect`/`shutdown` the
 * built-ins; `close` the server ends the connection (server.close(), idle);
 * `finish` all output handed to the kernel, FIN next; `gone` the socket
 * closed; `send` an answer is produced. `error` means the socket went away
 * before a clean end: what was not written is dropped.
 */
import { LineDecoder, type LineDecoderOptions, type IncompleteEvent } from './decoder.js';
import { encodeLine, type Payload } from './encoder.js';
import { OnelineError } from './errors.js';
import { OutputQueue } from './output-queue.js';
import { compileTable, illegalTransition, type CompiledState, type TransitionTable } from './fsm.js';

/** States of {@link ServerSession} (see the table in the file header). */
export type ServerState =
  | 'open'
  | 'running'
  | 'half-closed'
  | 'half-closed-running'
  | 'closing'
  | 'closing-running'
  | 'ended'
  | 'closed'
  | 'error';

/** Events of {@link ServerSession}'s transition table. */
export type ServerEvent = 'data' | 'eof' | 'run' | 'done' | 'disconnect' | 'shutdown' | 'close' | 'finish' | 'gone' | 'send';

/** The server session's transition table: the single source of truth for its lifecycle. */
export const SERVER_TRANSITIONS: TransitionTable<ServerState, ServerEvent> = Object.freeze({
  open: {
    data: 'open',
    eof: 'half-closed',
    run: 'running',
    disconnect: 'closing',
    shutdown: 'closing',
    close: 'closing',
    gone: 'error',
    send: 'open',
  },
  running: {
    data: 'running',
    eof: 'half-closed-running',
    done: 'open',
    close: 'closing-running',
    gone: 'error',
    send: 'running',
  },
  'half-closed': {
    run: 'half-closed-running',
    disconnect: 'closing',
    shutdown: 'closing',
    close: 'closing',
    gone: 'error',
    send: 'half-closed',
  },
  'half-closed-running': {
    done: 'half-closed',
    close: 'closing-running',
    gone: 'error',
    send: 'half-closed-running',
  },
  closing: { data: 'closing', eof: 'closing', close: 'closing', finish: 'ended', gone: 'error' },
  'closing-running': {
    data: 'closing-running',
    eof: 'closing-running',
    done: 'closing',
    close: 'closing-running',
    gone: 'error',
    send: 'closing-running',
  },
  ended: { data: 'ended', eof: 'ended', close: 'ended', gone: 'closed' },
  closed: { close: 'closed', gone: 'closed' },
  error: { done: 'error', close: 'error', gone: 'error' },
});

const SERVER_EVENTS: readonly ServerEvent[] = ['data', 'eof', 'run', 'done', 'disconnect', 'shutdown', 'close', 'finish', 'gone', 'send'];
type Node = CompiledState<ServerState, ServerEvent>;
// The table, compiled once into linked nodes: `node.on.run` is the table's cell.
const NODES = compileTable(SERVER_TRANSITIONS, SERVER_EVENTS);

/** The built-in command names, handled by the server itself. */
export const BUILTIN_COMMANDS = Object.freeze(['ping', 'disconnect', 'shutdown'] as const);
/** One of {@link BUILTIN_COMMANDS}. */
export type BuiltinCommand = (typeof BUILTIN_COMMANDS)[number];

/** Why a command is flagged invalid. */
export type InvalidReason = 'undecodable' | 'too-long';

/**
 * A command for the user's handler: plain data. `JSON.stringify(command)`
 * shows `text`, `invalid`, `length` and (when invalid) `reason`; `bytes` is
 * computed on access and never keeps a socket chunk alive.
 */
export interface Command {
  /** The decoded text ('' for a too-long line, whose bytes were discarded). */
  readonly text: string;
  /** The raw bytes (without LF and stripped CR; empty for a too-long line). A new Buffer on each access. */
  readonly bytes: Buffer;
  /** True when the line could not be decoded or was too long. */
  readonly invalid: boolean;
  /** Why it is invalid; undefined for a valid command. */
  readonly reason: InvalidReason | undefined;
  /** Length in bytes: `bytes.length`, or for a too-long line the length that was discarded. */
  readonly length: number;
}

/**
 * What {@link ServerSession.next} asks of the shell when it has no command:
 * - `'read'`: nothing to run; keep reading.
 * - `'paused'`: output is over `writeHighWaterMark`; write it and wait for {@link ServerSession.written}.
 * - `'handling'`: a handler is running; wait for {@link ServerSession.done}.
 * - `'disconnect'` / `'shutdown'`: the client asked (returned once; stop listening for `shutdown`); the close follows.
 * - `'flushing'`: closing; write the output and wait for {@link ServerSession.written}.
 * - `'end'`: every byte was handed to the kernel: end the socket (FIN) now. Returned once.
 * - `'ended'`: FIN sent; wait for the socket to close.
 * - `'closed'` / `'error'`: the connection is over (cleanly, or the socket went away first).
 */
export type ServerStep = 'read' | 'paused' | 'handling' | 'disconnect' | 'shutdown' | 'flushing' | 'end' | 'ended' | 'closed' | 'error';

/** Options of {@link ServerSession}. */
export interface ServerSessionOptions extends LineDecoderOptions {
  /**
   * Bytes waiting to be written above which no command starts.
   * @defaultValue 65536
   */
  writeHighWaterMark?: number;
  /**
   * Bytes received and not yet run as commands above which {@link ServerSession.wantsData} turns false.
   * Unread input is held as raw bytes (no object per line), so this bounds a flood of empty lines too.
   * @defaultValue 1048576 (1 MiB)
   */
  maxQueuedBytes?: number;
}

const EMPTY = Buffer.alloc(0);
const PONG = 'pong';

/** A too-long line: its bytes were discarded, only the length is known. */
class TooLongCommand implements Command {
  readonly text = '';
  readonly invalid = true;
  readonly reason = 'too-long' as const;
  constructor(readonly length: number) {}
  get bytes(): Buffer {
    return EMPTY;
  }
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${name} must be a positive safe integer, got ${String(v)}`);
  }
  return v;
}

const OPEN = NODES.open;
const HALF_CLOSED = NODES['half-closed'];
const CLOSING = NODES.closing;

/** Server-side protocol logic for one connection. Pure: no I/O, no timers. */
export class ServerSession {
  private node: Node = NODES.open;
  private readonly decoder: LineDecoder;
  /** The effective high-water mark for output bytes. */
  readonly writeHighWaterMark: number;
  /** The effective input budget in bytes. */
  readonly maxQueuedBytes: number;
  // Most bytes handed to the shell at once: the window that makes progress
  // visible to a slow reader (a write completes when the kernel took it).
  private readonly window: number;

  // Output not yet handed to the shell, encoded as it is produced.
  private readonly out: OutputQueue;
  // Size of the write handed to the shell and not yet reported written (one at a time).
  private inFlightBytes = 0;
  private steps = 0;
  private lines = 0;

  /** @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option. */
  constructor(options: ServerSessionOptions = {}) {
    this.decoder = new LineDecoder(options);
    this.writeHighWaterMark = positiveInt('writeHighWaterMark', options.writeHighWaterMark ?? 64 * 1024);
    this.maxQueuedBytes = positiveInt('maxQueuedBytes', options.maxQueuedBytes ?? 1024 * 1024);
    this.window = Math.max(this.writeHighWaterMark, 16 * 1024);
    this.out = new OutputQueue(Math.min(this.window, 64 * 1024));
  }

  /** The current state. */
  get state(): ServerState {
    return this.node.name;
  }

  /** True while the session serves its client (the slot is held): open, running or half-closed. */
  get serving(): boolean {
    const s = this.node.name;
    return s === 'open' || s === 'running' || s === 'half-closed' || s === 'half-closed-running';
  }

  /** True while a handler is in progress. */
  get handling(): boolean {
    const s = this.node.name;
    return s === 'running' || s === 'half-closed-running' || s === 'closing-running';
  }

  /**
   * Whether the shell should read from the socket: while serving, until the
   * queued commands reach `maxQueuedBytes`; while closing, always (bytes are
   * drained and discarded, so unread input cannot turn the close into a reset).
   */
  get wantsData(): boolean {
    const s = this.node.name;
    if (s === 'open' || s === 'running') return this.decoder.unread < this.maxQueuedBytes;
    return s === 'closing' || s === 'closing-running' || s === 'ended';
  }

  /** Bytes held for an unfinished line. */
  get buffered(): number {
    return this.decoder.buffered;
  }

  /** Bytes received and not yet run as commands (complete lines and any bytes after them). */
  get queuedBytes(): number {
    return this.decoder.unread;
  }

  /** True while a piece of output is handed to the shell and not yet reported written (waiting on the peer to read). */
  get writing(): boolean {
    return this.inFlightBytes !== 0;
  }

  /** True while output is at or below `writeHighWaterMark` (a streaming handler may produce more). */
  get writable(): boolean {
    return this.outputBytes <= this.writeHighWaterMark;
  }

  /** Output bytes produced and not yet reported written. */
  get outputBytes(): number {
    return this.out.size + this.inFlightBytes;
  }

  /** Complete lines taken so far (commands and built-ins, counted as `next()` reaches them). */
  get linesReceived(): number {
    return this.lines;
  }

  /**
   * A counter that moves on every sign of progress toward or from the
   * client: a chunk that completes a line received, or a write handed to
   * the kernel.
   * Answers produced but not yet written are not progress (a handler that
   * keeps producing for a client that reads nothing makes none). The shell's
   * timers count time without progress with it.
   */
  get progress(): number {
    return this.steps;
  }

  /** Takes a transition: `next` is the current node's cell for `event` (`this.node.on[event]`). */
  private go(next: Node | null, event: ServerEvent): void {
    if (next === null) throw illegalTransition('server', this.node.name, event);
    this.node = next;
  }

  /**
   * Feeds bytes read from the client. While closing they are discarded.
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` after end of input or once the connection is over.
   */
  receive(chunk: Uint8Array): void {
    this.go(this.node.on.data, 'data');
    const s = this.node.name;
    if (s !== 'open' && s !== 'running') return;
    this.decoder.write(chunk);
    if (chunk.indexOf(0x0a) !== -1) this.steps++;
  }

  /**
   * The client ended its side (EOF, a half-close). Commands already received
   * are still run and answered; then the session closes. Returns the
   * unterminated tail after the last complete line, if any (never a command).
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` if called twice.
   */
  receiveEnd(): IncompleteEvent | undefined {
    const wasServing = this.serving;
    this.go(this.node.on.eof, 'eof');
    const [tail] = this.decoder.end();
    return wasServing && tail?.type === 'incomplete' ? tail : undefined;
  }

  /**
   * The next thing to do: a command for the user's handler, or a
   * {@link ServerStep}. Built-ins are handled here (`ping` answers `pong`).
   */
  next(): Command | ServerStep {
    for (;;) {
      const node = this.node;
      if (node === OPEN || node === HALF_CLOSED) {
        if (this.out.size + this.inFlightBytes > this.writeHighWaterMark) return 'paused';
        const ev = this.decoder.take();
        if (ev === undefined) {
          if (node === OPEN) return 'read';
          this.go(node.on.close, 'close'); // half-closed and everything answered: the client is done
          continue;
        }
        this.lines++;
        if (ev.type === 'overflow') {
          this.go(node.on.run, 'run');
          return new TooLongCommand(ev.length);
        }
        if (!ev.invalid) {
          const t = ev.text;
          if (t === 'ping') {
            this.checkSend();
            this.out.line(PONG);
            continue;
          }
          if (t === 'disconnect' || t === 'shutdown') {
            this.go(node.on[t], t);
            this.dropQueue();
            return t;
          }
        }
        this.go(node.on.run, 'run');
        return ev;
      }
      const s = node.name;
      if (s === 'running' || s === 'half-closed-running' || s === 'closing-running') return 'handling';
      if (node === CLOSING) {
        if (this.outputBytes > 0) return 'flushing';
        this.go(node.on.finish, 'finish');
        return 'end';
      }
      return s as 'ended' | 'closed' | 'error';
    }
  }

  /** The handler of the command from {@link next} settled (however it ended). */
  done(): void {
    this.go(this.node.on.done, 'done');
  }

  /** True when {@link send} is allowed now (serving, or a handler is still running while closing). */
  get canSend(): boolean {
    return this.node.on.send !== null;
  }

  /**
   * Queues one answer line (LF added). Text is counted and joined; bytes are
   * copied, so the caller may reuse its buffer.
   * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD` if the line contains LF (nothing is queued);
   *   `ERR_ONELINE_INVALID_PAYLOAD` for a value that is neither a string nor a Uint8Array;
   *   `ERR_ONELINE_NOT_CONNECTED` when the connection no longer takes answers.
   */
  send(line: Payload): void {
    if (typeof line === 'string') {
      this.checkSend(); // `send` is a self-loop wherever it is allowed (a test checks): no state change
      if (!this.out.line(line)) encodeLine(line); // a LF: nothing was queued; throws the typed error
    } else if (line instanceof Uint8Array) {
      this.checkSend();
      if (line.indexOf(0x0a) !== -1) encodeLine(line); // throws the typed error
      this.out.bytes(line);
    } else {
      const got = line === null ? 'null' : typeof line;
      throw new OnelineError('ERR_ONELINE_INVALID_PAYLOAD', `an answer line must be a string or a Uint8Array, got ${got}`);
    }
  }

  private checkSend(): void {
    if (!this.canSend) {
      throw new OnelineError('ERR_ONELINE_NOT_CONNECTED', `cannot send: the connection is ${this.node.name}`);
    }
  }

  /**
   * The next piece of output to write (at most one window, 64 KiB or
   * `writeHighWaterMark` if larger), or undefined when there is none or a
   * piece is still in flight. Each piece must be reported with
   * {@link written} once the socket has handed it to the kernel, in order.
   */
  output(): Buffer | undefined {
    // One write in flight at a time, up to a window: a write completes once
    // the kernel took it, so this keeps pieces large and progress visible.
    if (this.inFlightBytes !== 0) return undefined;
    const piece = this.out.take(this.window);
    if (piece !== undefined) this.inFlightBytes = piece.length;
    return piece;
  }

  /** The oldest piece from {@link output} was handed to the kernel. A no-op once the connection is over. */
  written(): void {
    if (this.inFlightBytes === 0) return; // dropped by gone()
    this.inFlightBytes = 0;
    this.steps++;
  }

  /**
   * The server ends the connection on its own (`server.close()`, idle
   * timeout): commands not yet started are dropped, a running handler may
   * finish, and everything produced is written before the FIN.
   */
  close(): void {
    this.go(this.node.on.close, 'close');
    this.dropQueue();
  }

  /** The socket closed. Queued commands and unwritten output are dropped. */
  gone(): void {
    this.go(this.node.on.gone, 'gone');
    this.dropQueue();
    this.out.clear();
    this.inFlightBytes = 0;
  }

  /** Commands received and not started are dropped (after disconnect, shutdown or close). */
  private dropQueue(): void {
    this.decoder.reset();
  }
}
