/**
 * The client side of one connection, as a state machine with no I/O.
 *
 * Theory of operation: the shell (e.g. `@socket-oneline/client`) opens the
 * transport, calls {@link ClientSession.opened} and writes the returned
 * `ping\n`. Incoming bytes go to {@link ClientSession.receive}: during the
 * handshake the first line must be `pong` (surrounding whitespace ignored, as
 * the original client does); after that, each response line goes to the
 * oldest waiting {@link LineReader}, or is queued until one arrives. Readers
 * decide how many lines they take, which is how "N lines", "until a
 * predicate" and "until the barrier's pong" requests share one ordered
 * stream. End of stream during the handshake means the server turned us
 * away (busy); later it fails the waiting readers with `ERR_ONELINE_CLOSED`,
 * but lines already queued stay readable.
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
import { encodeLine, type Payload } from './encoder.js';
import { OnelineError } from './errors.js';
import { nextState, type TransitionTable } from './fsm.js';
import type { InvalidReason } from './server-session.js';

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

/** A response line as handed to readers. */
export interface ResponseLine {
  /** Decoded text ('' for a too-long line). */
  readonly text: string;
  /** Raw bytes without LF (and stripped CR); empty for a too-long line. */
  readonly bytes: Buffer;
  /** True when undecodable or too long. */
  readonly invalid: boolean;
  /** Why it is invalid; undefined when valid. */
  readonly reason: InvalidReason | undefined;
  /** Length in bytes (`bytes.length`, or the discarded length when too long). */
  readonly length: number;
}

/**
 * A consumer of response lines. The session gives each line to the oldest
 * reader; `onLine` returns true when the reader is satisfied (it is then
 * removed) or false to take the next line too.
 */
export interface LineReader {
  onLine(line: ResponseLine): boolean;
  /** The stream ended or failed before the reader was satisfied. */
  onError(error: OnelineError): void;
}

/** What the client shell must know after feeding bytes. */
export type ClientAction =
  /** The handshake's `pong` arrived: the link is up. */
  | { readonly type: 'ready' }
  /** The handshake got another line: close the transport. */
  | { readonly type: 'handshake-failed'; readonly error: OnelineError };

/** Options of {@link ClientSession}. */
export interface ClientSessionOptions extends LineDecoderOptions {}

/** Client-side protocol logic for one connection. Pure: no I/O, no timers. */
export class ClientSession {
  private current: ClientState = 'connecting';
  private readonly decoder: LineDecoder;
  private readonly events: DecoderEvent[] = [];
  private readonly readers: LineReader[] = [];
  private readonly queue: ResponseLine[] = [];
  private failure: OnelineError | undefined;

  /** @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad option. */
  constructor(options: ClientSessionOptions = {}) {
    this.decoder = new LineDecoder(options);
  }

  /** The current state. */
  get state(): ClientState {
    return this.current;
  }

  /** Response lines received and not yet taken by a reader. */
  get queued(): number {
    return this.queue.length;
  }

  /** Readers waiting for lines. */
  get waiting(): number {
    return this.readers.length;
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
   * Encodes a command to send.
   * @throws OnelineError `ERR_ONELINE_LF_IN_PAYLOAD` if it contains LF;
   *   `ERR_ONELINE_ILLEGAL_TRANSITION` unless ready.
   */
  send(command: Payload): Buffer {
    const data = encodeLine(command);
    this.current = nextState('client', CLIENT_TRANSITIONS, this.current, 'send');
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
        ev.type === 'line' ? ev : { text: '', bytes: Buffer.alloc(0), invalid: true, reason: 'too-long', length: ev.length };
      if (this.current === 'handshake') {
        if (!line.invalid && line.text.trim() === 'pong') {
          this.current = nextState('client', CLIENT_TRANSITIONS, this.current, 'pong');
          actions.push({ type: 'ready' });
        } else {
          const error = new OnelineError(
            'ERR_ONELINE_HANDSHAKE_FAILED',
            `handshake failed: expected 'pong' in answer to 'ping', got ${JSON.stringify(line.text)}`,
          );
          this.fail(error, 'line');
          actions.push({ type: 'handshake-failed', error });
        }
        continue;
      }
      this.current = nextState('client', CLIENT_TRANSITIONS, this.current, 'line');
      this.deliver(line);
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
   * Adds a reader. Queued lines are given to it at once; if the session is
   * closed and the queue runs dry, it gets the close error.
   */
  read(reader: LineReader): void {
    while (this.queue.length > 0) {
      if (reader.onLine(this.queue.shift()!)) return;
    }
    if (this.current === 'closed') {
      reader.onError(
        this.failure ?? new OnelineError('ERR_ONELINE_CLOSED', 'the connection is closed'),
      );
      return;
    }
    this.readers.push(reader);
  }

  /** Removes a waiting reader (timeout, abort). Returns false if it was not waiting. */
  cancel(reader: LineReader): boolean {
    const i = this.readers.indexOf(reader);
    if (i === -1) return false;
    this.readers.splice(i, 1);
    return true;
  }

  private deliver(line: ResponseLine): void {
    const head = this.readers[0];
    if (head === undefined) {
      this.queue.push(line);
      return;
    }
    if (head.onLine(line)) this.readers.shift();
  }

  private fail(error: OnelineError, event: 'eof' | 'fail' | 'line'): void {
    this.current = nextState('client', CLIENT_TRANSITIONS, this.current, event);
    this.failure = error;
    this.decoder.end();
    const readers = this.readers.splice(0);
    for (const r of readers) r.onError(error);
  }
}
