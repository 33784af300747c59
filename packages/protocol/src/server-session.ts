/**
 * The server side of one connection, as a state machine with no I/O.
 *
 * Theory of operation: the shell (e.g. `@socket-oneline/server`) feeds the
 * bytes it reads into {@link ServerSession.receive} and carries out the
 * returned actions strictly in order: `reply` writes bytes, `command` hands a
 * command to the user's handler (and waits for it), `disconnect`/`shutdown`
 * flush and close. Every LF-terminated line leads to exactly one action,
 * until a `disconnect` or `shutdown` line moves the session to `closed`,
 * after which lines are ignored. End of stream moves it to `ended`, after
 * which feeding it more is a bug in the shell and throws.
 *
 * | state   | line (user) | ping    | disconnect | shutdown | close (local) | data    | eof   |
 * | ------- | ----------- | ------- | ---------- | -------- | ------------- | ------- | ----- |
 * | serving | serving     | serving | closed     | closed   | closed        | serving | ended |
 * | closed  | closed      | closed  | closed     | closed   | closed        | closed  | ended |
 * | ended   | -           | -       | -          | -        | ended         | -       | -     |
 */
import { LineDecoder, type DecoderEvent, type DecoderSink, type LineDecoderOptions } from './decoder.js';
import { nextState, type TransitionTable } from './fsm.js';

/** States of {@link ServerSession}. */
export type ServerState = 'serving' | 'closed' | 'ended';
/** Events of {@link ServerSession}'s transition table. */
export type ServerEvent = 'line' | 'ping' | 'disconnect' | 'shutdown' | 'close' | 'data' | 'eof';

/** The server session's transition table (see the file header). */
export const SERVER_TRANSITIONS: TransitionTable<ServerState, ServerEvent> = Object.freeze({
  serving: {
    line: 'serving',
    ping: 'serving',
    disconnect: 'closed',
    shutdown: 'closed',
    close: 'closed',
    data: 'serving',
    eof: 'ended',
  },
  closed: {
    line: 'closed',
    ping: 'closed',
    disconnect: 'closed',
    shutdown: 'closed',
    close: 'closed',
    data: 'closed',
    eof: 'ended',
  },
  ended: { close: 'ended' },
});

/** The built-in command names, handled by the server itself. */
export const BUILTIN_COMMANDS = Object.freeze(['ping', 'disconnect', 'shutdown'] as const);
/** One of {@link BUILTIN_COMMANDS}. */
export type BuiltinCommand = (typeof BUILTIN_COMMANDS)[number];

/** Why a command is flagged invalid. */
export type InvalidReason = 'undecodable' | 'too-long';

/** A command for the user's handler. */
export interface Command {
  /** The decoded text ('' for a too-long line, whose bytes were discarded). */
  readonly text: string;
  /** The raw bytes (without LF and stripped CR; empty for a too-long line). */
  readonly bytes: Buffer;
  /** True when the line could not be decoded or was too long. */
  readonly invalid: boolean;
  /** Why it is invalid; undefined for a valid command. */
  readonly reason: InvalidReason | undefined;
  /** Length in bytes: `bytes.length`, or for a too-long line the length that was discarded. */
  readonly length: number;
}

/** What the shell must do, in order. */
export type ServerAction =
  /** Write this answer to a built-in: `data` is the encoded line (e.g. `pong\n`), `text` the line without LF. */
  | { readonly type: 'reply'; readonly data: Buffer; readonly text: string; readonly to: BuiltinCommand }
  /** Give this command to the user's handler; wait for it before the next action. */
  | { readonly type: 'command'; readonly command: Command }
  /** Flush what was produced so far, then close the connection. */
  | { readonly type: 'disconnect' }
  /** Flush, close the connection and stop listening. */
  | { readonly type: 'shutdown' }
  /** The client ended the stream with an unterminated tail (reported, never a command). */
  | { readonly type: 'incomplete'; readonly bytes: Buffer; readonly length: number; readonly tooLong: boolean };

/** Where {@link ServerSession.receiveTo} sends each action, in order. */
export interface ServerActionSink {
  /** A command for the user's handler. */
  onCommand(command: Command): void;
  /** The answer to a built-in (e.g. `pong`). */
  onReply(reply: ReplyAction): void;
  /** `disconnect` or `shutdown`: flush, close (and stop listening for shutdown). */
  onClose(kind: 'disconnect' | 'shutdown'): void;
}

/** The answer to a built-in. */
export type ReplyAction = Extract<ServerAction, { type: 'reply' }>;

const PONG_ACTION: ReplyAction = Object.freeze({ type: 'reply', data: Buffer.from('pong\n'), text: 'pong', to: 'ping' });
const DISCONNECT_ACTION: ServerAction = Object.freeze({ type: 'disconnect' });
const SHUTDOWN_ACTION: ServerAction = Object.freeze({ type: 'shutdown' });

/** Hands the decoder's events to the session (a class: a closure would be slower to call). */
class SessionEvents implements DecoderSink {
  constructor(private readonly session: ServerSession) {}

  onEvent(ev: DecoderEvent): void {
    this.session.dispatch(ev);
  }
}

/** Server-side protocol logic for one connection. Pure: no I/O, no timers. */
export class ServerSession {
  private current: ServerState = 'serving';
  private readonly decoder: LineDecoder;
  // The sink of the receiveTo call in progress; the decoder hands each event
  // to `decoded` at once (gathering a chunk's events first costs more in
  // garbage collection than decoding them).
  private sink: ServerActionSink | undefined;
  private readonly decoded: DecoderSink = new SessionEvents(this);

  /** @throws OnelineError `ERR_ONELINE_INVALID_OPTION` for a bad decoder option. */
  constructor(options: LineDecoderOptions = {}) {
    this.decoder = new LineDecoder(options);
  }

  /** The current state. */
  get state(): ServerState {
    return this.current;
  }

  /** Bytes held for an unfinished line. */
  get buffered(): number {
    return this.decoder.buffered;
  }

  /**
   * Feeds bytes read from the client; returns the actions they complete, in order.
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` after end of stream.
   */
  receive(chunk: Uint8Array): ServerAction[] {
    const actions: ServerAction[] = [];
    this.receiveTo(chunk, {
      onCommand: (command) => actions.push({ type: 'command', command }),
      onReply: (reply) => actions.push(reply),
      onClose: (kind) => actions.push(kind === 'disconnect' ? DISCONNECT_ACTION : SHUTDOWN_ACTION),
    });
    return actions;
  }

  /**
   * Like {@link receive}, but hands each action to `sink` as it is decoded,
   * with no action objects: the hot path of a server shell.
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` after end of stream.
   */
  receiveTo(chunk: Uint8Array, sink: ServerActionSink): void {
    this.current = nextState('server', SERVER_TRANSITIONS, this.current, 'data');
    if (this.current !== 'serving') return;
    this.sink = sink;
    try {
      this.decoder.feedTo(chunk, this.decoded);
    } finally {
      this.sink = undefined;
    }
  }

  /** @internal One decoded event (called by the decoder through `decoded`). */
  dispatch(ev: DecoderEvent): void {
    // Lines after a close are ignored.
    if (this.current !== 'serving') return;
    const sink = this.sink!;
    if (ev.type === 'line') {
      if (!ev.invalid) {
        const t = ev.text;
        if (t === 'ping') {
          // 'ping' and 'line' are self-loops of 'serving', the only state
          // that decodes: the table lookup is skipped on this hot path.
          sink.onReply(PONG_ACTION);
          return;
        }
        if (t === 'disconnect' || t === 'shutdown') {
          this.current = nextState('server', SERVER_TRANSITIONS, this.current, t);
          sink.onClose(t);
          return;
        }
      }
      // A LineEvent already has the Command shape (lazy bytes, reason, length).
      sink.onCommand(ev);
    } else if (ev.type === 'overflow') {
      sink.onCommand({ text: '', bytes: Buffer.alloc(0), invalid: true, reason: 'too-long', length: ev.length });
    }
  }

  /**
   * The client ended its stream (EOF or reset). Returns an `incomplete`
   * action for an unterminated tail, when one was pending and the session was
   * still serving.
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` if called twice.
   */
  end(): ServerAction[] {
    const wasServing = this.current === 'serving';
    this.current = nextState('server', SERVER_TRANSITIONS, this.current, 'eof');
    const actions: ServerAction[] = [];
    for (const ev of this.decoder.end()) {
      if (wasServing && ev.type === 'incomplete') {
        actions.push({ type: 'incomplete', bytes: ev.bytes, length: ev.length, tooLong: ev.tooLong });
      }
    }
    return actions;
  }

  /** The server closes the connection on its own (e.g. `server.close()`, idle timeout). */
  close(): void {
    this.current = nextState('server', SERVER_TRANSITIONS, this.current, 'close');
  }
}
