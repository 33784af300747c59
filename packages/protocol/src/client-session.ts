/**
 * The client side of one connection, as a state machine with no I/O.
 *
 * Theory of operation: the shell (e.g. `@socket-oneline/client`) opens the
 * transport, calls {@link ClientSession.opened} and writes the returned
 * `ping\n`. Incoming bytes go to {@link ClientSession.receive}: during the
 * handshake the first line must be `pong` (surrounding whitespace ignored, as
 * the original client does). After that, every request reserves its place in
 * the response stream when it is encoded ({@link ClientSession.request}), in
 * an O(1) queue, and each response line goes to the oldest place that is not
 * finished; lines nobody waits for are queued (bounded by the shell pausing
 * reads while {@link ClientSession.overBudget}).
 *
 * The protocol has no end-of-answer marker, so an answer ends where its
 * reader says (N lines, a predicate) or, for a barrier or a `ping`, at the
 * next `pong` (servers answer in order). When a request gives up
 * ({@link ClientSession.abandon}: timeout, abort) or goes over its caps, its
 * lines are discarded, never handed on: up to its own `pong` when it has one;
 * otherwise up to the `pong` of the next ping in flight, or of a new `ping`
 * the shell writes (realignment). Requests in between fail with
 * `ERR_ONELINE_DESYNC`: nobody can tell their lines from the broken one's.
 * End of stream during the handshake means the server turned us away
 * (busy); later it fails waiting readers with `ERR_ONELINE_CLOSED`, but lines
 * already queued stay readable.
 *
 * | state      | open      | pong  | line   | send  | close   | eof/fail |
 * | ---------- | --------- | ----- | ------ | ----- | ------- | -------- |
 * | connecting | handshake | -     | -      | -     | closed  | closed   |
 * | handshake  | -         | ready | closed | -     | closed  | closed   |
 * | ready      | -         | ready | ready  | ready | closing | closed   |
 * | closing    | -         | closing | closing | -  | closing | closed   |
 * | closed     | -         | -     | -      | -     | closed  | closed   |
 */
import { LineDecoder, type DecoderEvent, type LineDecoderOptions } from './decoder.js';
import { Fifo } from './fifo.js';
import { encodeLine, encodeLineText, type Payload } from './encoder.js';

// Validates a text command (no LF) and returns it unchanged.
function checkText(command: string): string {
  if (command.indexOf('\n') !== -1) encodeLineText(command); // throws ERR_ONELINE_LF_IN_PAYLOAD
  return command;
}
import { OnelineError } from './errors.js';
import { nextState, type TransitionTable } from './fsm.js';
import {
  DONE_CODE,
  LIVE_CODE,
  PONG_END_BITS,
  OWN_LIMITS_BIT,
  PingSlot,
  RawSlot,
  RequestReader,
  UNLIMITED_BIT,
  type LineReader,
  type RequestLimits,
  type RequestTicket,
  type ResponseLine,
  type Slot,
  type SlotLimits,
} from './client-reader.js';

export { RequestReader, type LineReader, type RequestLimits, type RequestTicket, type ResponseLine } from './client-reader.js';

/**
 * Default maximum response line on the client: 16 MiB. Real users send one
 * JSON document per line (a GUI harness's `get_screen` returns the whole
 * widget tree, easily megabytes) and the original had no limit; one
 * connection at a time makes a generous bound cheap, and it still caps what a
 * broken server can make us hold.
 */
export const DEFAULT_CLIENT_MAX_LINE_LENGTH = 16 * 1024 * 1024;

/**
 * Defaults of the client's budgets. Unread lines: reading pauses past
 * `maxQueuedLines` or `maxQueuedBytes`. One request: it fails with
 * `ERR_ONELINE_RESPONSE_TOO_LARGE` past `maxResponseLines` or
 * `maxResponseBytes`. Bytes are counted as received (without LF); memory
 * held is about twice that (raw bytes plus decoded text) plus ~100 bytes per
 * line, hence a line cap as well.
 */
export const CLIENT_BUDGET_DEFAULTS = Object.freeze({
  maxQueuedLines: 10_000,
  maxQueuedBytes: 32 * 1024 * 1024,
  maxResponseLines: 100_000,
  maxResponseBytes: 64 * 1024 * 1024,
});

/** The line a TLS server of ours sends to a plain-text client before closing (its client maps it to `ERR_ONELINE_TLS`). */
export const TLS_REQUIRED_LINE = 'error: this server requires TLS';

/** States of {@link ClientSession}. */
export type ClientState = 'connecting' | 'handshake' | 'ready' | 'closing' | 'closed';
/** Events of {@link ClientSession}'s transition table. */
export type ClientEvent = 'open' | 'pong' | 'line' | 'send' | 'close' | 'eof' | 'fail';

/** The client session's transition table (see the file header). */
export const CLIENT_TRANSITIONS: TransitionTable<ClientState, ClientEvent> = Object.freeze({
  connecting: { open: 'handshake', close: 'closed', eof: 'closed', fail: 'closed' },
  handshake: { pong: 'ready', line: 'closed', close: 'closed', eof: 'closed', fail: 'closed' },
  ready: { pong: 'ready', line: 'ready', send: 'ready', close: 'closing', eof: 'closed', fail: 'closed' },
  closing: { pong: 'closing', line: 'closing', close: 'closing', eof: 'closed', fail: 'closed' },
  closed: { close: 'closed', eof: 'closed', fail: 'closed' },
});

/** What the client shell must do or know after a call. */
export type ClientAction =
  /** The handshake's `pong` arrived: the link is up. */
  | { readonly type: 'ready' }
  /** The handshake got another line: close the transport. */
  | { readonly type: 'handshake-failed'; readonly error: OnelineError }
  /**
   * An answer's end became unknown; lines are discarded up to a `pong`.
   * `data` (a `ping`) must be written when no ping already in flight can serve.
   */
  | { readonly type: 'realign'; readonly data: Buffer | undefined; readonly reason: OnelineError }
  /** The response stream is aligned again (nothing left to discard). */
  | { readonly type: 'aligned' };

/** Options of {@link ClientSession}. Budgets default to {@link CLIENT_BUDGET_DEFAULTS}. */
export interface ClientSessionOptions extends LineDecoderOptions {
  /** Unread lines above which {@link ClientSession.overBudget} is true. @defaultValue 10000 */
  maxQueuedLines?: number;
  /** Unread bytes above which {@link ClientSession.overBudget} is true. @defaultValue 32 MiB */
  maxQueuedBytes?: number;
  /** Default per-request line cap. @defaultValue 100000 */
  maxResponseLines?: number;
  /** Default per-request byte cap. @defaultValue 64 MiB */
  maxResponseBytes?: number;
  /**
   * Maximum bytes of one response line (see {@link LineDecoderOptions.maxLineLength}). Answers are
   * the big side (one JSON document per line), hence a larger default than the decoder's.
   * @defaultValue 16 MiB ({@link DEFAULT_CLIENT_MAX_LINE_LENGTH})
   */
  maxLineLength?: number;
}

const PING = encodeLine('ping');
const DONE: RequestTicket = Object.freeze({ finished: true });
const NO_LIMITS: RequestLimits = Object.freeze({});
const EMPTY = Buffer.alloc(0);

function positive(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${name} must be a positive integer, got ${String(v)}`);
  }
  return n;
}

function isPingCommand(command: Payload): boolean {
  if (typeof command === 'string') return command === 'ping';
  return command.length === 4 && command[0] === 0x70 && command[1] === 0x69 && command[2] === 0x6e && command[3] === 0x67;
}

/** Client-side protocol logic for one connection. Pure: no I/O, no timers, no clock. */
export class ClientSession {
  private current: ClientState = 'connecting';
  private readonly decoder: LineDecoder;
  private readonly events: DecoderEvent[] = [];
  private readonly slots = new Fifo<Slot>();
  private readonly queue = new Fifo<ResponseLine>();
  // Caps of the waiting slots that have their own (OWN_LIMITS_BIT): few, so not a field on every slot.
  private readonly limits = new Map<Slot, SlotLimits>();
  private queueBytes = 0;
  private failure: OnelineError | undefined;
  private pushed = 0; // slots ever pushed
  private shifted = 0; // slots ever shifted
  private broken = 0; // slots discarding ('fog' or 'abandoned')
  private readonly budgets: Required<Omit<ClientSessionOptions, keyof LineDecoderOptions>>;

  /** @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option. */
  constructor(options: ClientSessionOptions = {}) {
    this.decoder = new LineDecoder({ ...options, maxLineLength: options.maxLineLength ?? DEFAULT_CLIENT_MAX_LINE_LENGTH });
    const d = CLIENT_BUDGET_DEFAULTS;
    this.budgets = {
      maxQueuedLines: positive('maxQueuedLines', options.maxQueuedLines, d.maxQueuedLines),
      maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes, d.maxQueuedBytes),
      maxResponseLines: positive('maxResponseLines', options.maxResponseLines, d.maxResponseLines),
      maxResponseBytes: positive('maxResponseBytes', options.maxResponseBytes, d.maxResponseBytes),
    };
  }

  /** The current state. */
  get state(): ClientState {
    return this.current;
  }

  /** Response lines received and not yet taken by a reader. */
  get queued(): number {
    return this.queue.length;
  }

  /** Bytes of the lines counted by {@link queued}. */
  get queuedBytes(): number {
    return this.queueBytes;
  }

  /** True while unread lines exceed `maxQueuedLines` or `maxQueuedBytes`: the shell should stop reading. */
  get overBudget(): boolean {
    return this.queue.length > this.budgets.maxQueuedLines || this.queueBytes > this.budgets.maxQueuedBytes;
  }

  /** Requests, raw reads and realignment pings whose answer has not been taken yet. */
  get waiting(): number {
    return this.slots.length;
  }

  /** True while lines are being discarded up to a `pong` (after a timeout, abort or cap). */
  get realigning(): boolean {
    return this.broken > 0;
  }

  /** Why the session closed (`ERR_ONELINE_CLOSED` for a clean close); undefined while open. */
  get error(): OnelineError | undefined {
    return this.failure;
  }

  /**
   * The transport is connected. Returns the handshake bytes to write (`ping\n`).
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` unless connecting.
   */
  opened(): Buffer {
    this.current = nextState('client', CLIENT_TRANSITIONS, this.current, 'open');
    return encodeLine('ping');
  }

  /**
   * Encodes a command to send with no reader (answers go to raw reads, see {@link read}).
   * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD` if it contains LF;
   *   `ERR_ONELINE_ILLEGAL_TRANSITION` unless ready.
   */
  send(command: Payload): Buffer {
    const data = encodeLine(command);
    this.current = nextState('client', CLIENT_TRANSITIONS, this.current, 'send');
    return data;
  }

  /**
   * Encodes a command and reserves its place in the response stream for
   * `reader` (which is also the request's ticket; one reader per request).
   * Returns what to write: bytes (LF-terminated) for a binary command; for a
   * text command, a string of one or more packets joined by LF *without* the
   * final LF, so a shell can join many commands with LF into one write. With `barrier`, a `ping` follows the command and the answer is
   * every line before its `pong`; a `ping` command's answer ends at its
   * `pong`; otherwise the reader decides where its answer ends.
   * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD`, `ERR_ONELINE_ILLEGAL_TRANSITION` unless ready,
   *   `ERR_ONELINE_INVALID_OPTION` for a bad limit.
   */
  request(
    command: Payload,
    reader: RequestReader,
    options: RequestLimits & { readonly barrier?: boolean } = NO_LIMITS,
  ): Buffer | string {
    // Text stays text, without its LF: the shell joins a tick's commands with
    // LF into one write, and a plain command costs no new string.
    const cmd: Buffer | string = typeof command === 'string' ? checkText(command) : encodeLine(command);
    this.current = nextState('client', CLIENT_TRANSITIONS, this.current, 'send');
    const barrier = options.barrier === true;
    const limited = options.maxLines !== undefined || options.maxBytes !== undefined;
    const ping = !barrier && isPingCommand(command);
    const slot = reader;
    if (slot.slotSeq !== -1) throw new OnelineError('ERR_ONELINE_INVALID_OPTION', 'request(): this reader was already used');
    slot.slotEnd = barrier || ping ? 'pong' : 'reader';
    slot.slotSeq = this.pushed++;
    let limits: SlotLimits | undefined;
    if (limited) {
      limits = {
        maxLines: options.maxLines === undefined ? this.budgets.maxResponseLines : positive('maxLines', options.maxLines, 1),
        maxBytes: options.maxBytes === undefined ? this.budgets.maxResponseBytes : positive('maxBytes', options.maxBytes, 1),
      };
    }
    slot.slotPingOnly = ping;
    this.slots.push(slot);
    if (limits !== undefined) {
      slot.slotFlags |= OWN_LIMITS_BIT;
      this.limits.set(slot, limits);
    }
    let data = barrier ? (typeof cmd === 'string' ? `${cmd}\nping` : Buffer.concat([cmd, PING])) : cmd;
    // Unread lines go to the new reader first; a cap broken there needs a realignment ping too.
    if (this.queue.length > 0) {
      for (const a of this.drainQueue()) {
        if (a.type === 'realign' && a.data !== undefined) data = typeof data === 'string' ? `${data}\nping` : Buffer.concat([data, PING]);
      }
    }
    return data;
  }

  /**
   * Starts a clean close: returns the bytes of `disconnect` or `shutdown` to
   * write. Lines still arriving go to readers until end of stream.
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` unless ready.
   */
  close(kind: 'disconnect' | 'shutdown'): Buffer {
    if (this.current !== 'ready') {
      // Only `ready` may send; use the table so the error names state and event.
      nextState('client', CLIENT_TRANSITIONS, this.current, 'send');
    }
    this.current = nextState('client', CLIENT_TRANSITIONS, this.current, 'close');
    return encodeLine(kind);
  }

  /**
   * Feeds bytes read from the server. Lines go to readers in order.
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` while connecting or closed.
   */
  receive(chunk: Uint8Array): ClientAction[] {
    if (this.current === 'connecting' || this.current === 'closed') {
      nextState('client', CLIENT_TRANSITIONS, this.current, 'line');
    }
    const actions: ClientAction[] = [];
    const events = this.events;
    this.decoder.feed(chunk, events);
    for (let i = 0; i < events.length && this.current !== 'closed'; i++) {
      const ev = events[i]!;
      if (ev.type === 'incomplete') continue;
      const line: ResponseLine =
        ev.type === 'line' ? ev : { text: '', bytes: EMPTY, invalid: true, reason: 'too-long', length: ev.length };
      if (this.current === 'handshake') {
        if (!line.invalid && line.text.trim() === 'pong') {
          this.current = nextState('client', CLIENT_TRANSITIONS, this.current, 'pong');
          actions.push({ type: 'ready' });
        } else {
          // Our TLS server tells a plain-text client so in one line before closing.
          const error =
            line.text === TLS_REQUIRED_LINE
              ? new OnelineError('ERR_ONELINE_TLS', 'the server requires TLS: connect with the tls option (--tls)')
              : new OnelineError(
                  'ERR_ONELINE_HANDSHAKE_FAILED',
                  `handshake failed: expected 'pong' in answer to 'ping', got ${JSON.stringify(line.text)}`,
                );
          this.fail(error, 'line');
          actions.push({ type: 'handshake-failed', error });
        }
        continue;
      }
      if (this.slots.length === 0) this.enqueue(line);
      else this.dispatch(line, actions);
    }
    events.length = 0;
    return actions;
  }

  /**
   * The server ended the stream. During the handshake this means the server
   * turned us away (`ERR_ONELINE_BUSY`); otherwise waiting readers fail with
   * `ERR_ONELINE_CLOSED` (queued lines stay readable).
   */
  ended(): void {
    if (this.current === 'closed') return;
    const error =
      this.current === 'handshake' || this.current === 'connecting'
        ? new OnelineError(
            'ERR_ONELINE_BUSY',
            'the server closed the connection during the handshake: it is serving another client',
          )
        : new OnelineError('ERR_ONELINE_CLOSED', 'the server closed the connection');
    this.fail(error, 'eof');
  }

  /** The transport failed (reset, TLS error, timeout...). Waiting readers get `error`. */
  failed(error: OnelineError): void {
    if (this.current === 'closed') return;
    this.fail(error, 'fail');
  }

  /**
   * Adds a raw reader (no command of its own). Queued lines are given to it
   * at once; if the session is closed and the queue runs dry, it gets the
   * close error. Returns its ticket (see {@link cancel}).
   */
  read(reader: LineReader): RequestTicket {
    while (this.queue.length > 0) {
      if (reader.onLine(this.unqueue())) return DONE;
    }
    if (this.current === 'closed') {
      reader.onError(this.failure ?? new OnelineError('ERR_ONELINE_CLOSED', 'the connection is closed'));
      return DONE;
    }
    // A RequestReader serves as its own slot (one object per read).
    let slot: RequestReader;
    if (reader instanceof RequestReader && reader.slotSeq === -1) {
      slot = reader;
      slot.slotEnd = 'raw';
      slot.slotFlags |= UNLIMITED_BIT;
    } else slot = new RawSlot(reader);
    slot.slotSeq = this.pushed++;
    this.slots.push(slot);
    return slot;
  }

  /** A raw reader gives up its place (timeout, abort); later lines go to the next reader. Returns false if it was not waiting. */
  cancel(ticket: RequestTicket): boolean {
    if (!(ticket instanceof RequestReader) || ticket.slotSeq === -1) return false;
    const slot = ticket;
    if (slot.slotState !== 'live') return false;
    slot.slotState = 'done'; // skipped when it reaches the head: O(1)
    return true;
  }

  /**
   * A request gives up (timeout, abort) before its answer was read. Its
   * reader gets nothing more. When its answer's end is known (a barrier or a
   * ping: the next `pong`) its lines are discarded up to there; otherwise
   * the stream is realigned: lines are discarded up to the `pong` of the next
   * ping in flight (a `realign` action with a new `ping` to write when there
   * is none), and readers queued in between fail with `ERR_ONELINE_DESYNC`,
   * as their answers cannot be told apart.
   */
  abandon(ticket: RequestTicket, reason: OnelineError): ClientAction[] {
    const actions: ClientAction[] = [];
    if (!(ticket instanceof RequestReader) || ticket.slotSeq === -1) return actions;
    const slot = ticket;
    if (slot.slotEnd === 'raw') this.cancel(slot);
    else this.breakSlot(slot, reason, actions);
    return actions;
  }

  private breakSlot(slot: Slot, reason: OnelineError, actions: ClientAction[]): void {
    if (slot.slotState !== 'live') return;
    if (slot.slotEnd === 'pong') {
      slot.slotState = 'abandoned';
      this.broken++;
      actions.push({ type: 'realign', data: undefined, reason });
      return;
    }
    slot.slotState = 'fog';
    this.broken++;
    const desync = new OnelineError(
      'ERR_ONELINE_DESYNC',
      `an earlier request failed (${reason.code}) before its answer ended; this answer cannot be told apart from it and was discarded`,
    );
    for (let i = slot.slotSeq - this.shifted + 1; i < this.slots.length; i++) {
      const s = this.slots.at(i)!;
      if (s.slotState === 'done') continue;
      if (s.slotEnd === 'pong') {
        s.slotFogEnd = true;
        // A ping's whole answer is its pong: it still gets it. A barrier's lines are lost in the fog.
        if (s.slotState === 'live' && !s.slotPingOnly) {
          s.slotState = 'fog';
          this.broken++;
          s.onError(desync);
        }
        actions.push({ type: 'realign', data: undefined, reason });
        return;
      }
      if (s.slotState === 'live') {
        s.slotState = 'fog';
        this.broken++;
        s.onError(desync);
      }
    }
    const ping = new PingSlot();
    ping.slotSeq = this.pushed++;
    this.broken++;
    this.slots.push(ping);
    actions.push({ type: 'realign', data: PING, reason });
  }

  private dispatch(line: ResponseLine, actions: ClientAction[]): void {
    for (;;) {
      const head = this.slots.peek();
      if (head === undefined) {
        this.enqueue(line);
        return;
      }
      // The hot path reads the packed flags directly (see RequestReader).
      const flags = head.slotFlags;
      if ((flags & 3) === DONE_CODE) {
        this.shiftSlot();
        continue;
      }
      const invalid = line.invalid;
      const isPong = !invalid && line.text === 'pong';
      if ((flags & 3) === LIVE_CODE) {
        const pongEnd = (flags & 12) === PONG_END_BITS;
        if (!(isPong && pongEnd)) {
          head.slotLines++;
          if (!invalid || line.reason !== 'too-long') head.slotBytes += line.length;
          let maxLines = this.budgets.maxResponseLines;
          let maxBytes = this.budgets.maxResponseBytes;
          if ((flags & UNLIMITED_BIT) !== 0) maxLines = maxBytes = Infinity;
          else if ((flags & OWN_LIMITS_BIT) !== 0) ({ maxLines, maxBytes } = this.limits.get(head)!);
          if (head.slotLines > maxLines || head.slotBytes > maxBytes) {
            const err = new OnelineError(
              'ERR_ONELINE_RESPONSE_TOO_LARGE',
              head.slotLines > maxLines
                ? `the answer has more than ${maxLines} lines (maxResponseLines / maxLines)`
                : `the answer has more than ${maxBytes} bytes (maxResponseBytes / maxBytes)`,
            );
            head.onError(err);
            this.breakSlot(head, err, actions);
            continue; // this line is now discarded by the realignment
          }
        }
        if (pongEnd) {
          head.onLine(line);
          if (isPong) {
            head.slotFlags = (head.slotFlags & ~3) | DONE_CODE;
            this.shiftSlot();
          }
        } else if (head.onLine(line)) {
          head.slotFlags = (head.slotFlags & ~3) | DONE_CODE;
          this.shiftSlot();
        }
        return;
      }
      // Discarding: up to this slot's own pong ('abandoned'), or up to the
      // pong that ends the realignment ('fog').
      if (!isPong) return;
      if (head.slotState === 'abandoned') {
        this.shiftSlot();
        this.broken--;
      } else {
        for (let s = this.slots.peek(); s !== undefined; s = this.slots.peek()) {
          this.shiftSlot();
          if (s.slotState === 'fog' || s.slotState === 'abandoned') this.broken--;
          if (s.slotFogEnd) {
            if (s.slotState === 'live') s.onLine(line); // a ping's own pong
            s.slotState = 'done';
            break;
          }
          s.slotState = 'done';
        }
      }
      if (this.broken === 0) actions.push({ type: 'aligned' });
      return;
    }
  }

  private shiftSlot(): void {
    const s = this.slots.shift()!;
    if ((s.slotFlags & OWN_LIMITS_BIT) !== 0) this.limits.delete(s);
    this.shifted++;
  }

  private enqueue(line: ResponseLine): void {
    this.queue.push(line);
    if (line.reason !== 'too-long') this.queueBytes += line.length;
  }

  private unqueue(): ResponseLine {
    const line = this.queue.shift()!;
    if (line.reason !== 'too-long') this.queueBytes -= line.length;
    return line;
  }

  private drainQueue(): ClientAction[] {
    const actions: ClientAction[] = [];
    while (this.queue.length > 0 && this.slots.length > 0) this.dispatch(this.unqueue(), actions);
    return actions;
  }

  private fail(error: OnelineError, event: 'eof' | 'fail' | 'line'): void {
    this.current = nextState('client', CLIENT_TRANSITIONS, this.current, event);
    this.failure = error;
    this.decoder.end();
    this.broken = 0;
    const slots = this.slots.drain();
    this.shifted += slots.length;
    this.limits.clear();
    for (const s of slots) {
      if (s.slotState === 'live') s.onError(error);
      s.slotState = 'done';
    }
  }
}
