// A simulated server shell for tests: drives a ServerSession the way the
// real shell does (pump until it has to wait), with scripted handler
// outcomes and an in-memory "wire" that collects what would be written.
import type { Payload } from '../encoder.js';
import { ServerSession, type Command, type ServerSessionOptions, type ServerStep } from '../server-session.js';

/** What the handler does with one command. */
export type Outcome =
  | { kind: 'sync'; answers: Payload[] }
  | { kind: 'async'; answers: Payload[] }
  | { kind: 'throw' }
  | { kind: 'reject' }
  | { kind: 'never' };

export class SimShell {
  readonly session: ServerSession;
  /** Every command handed to the handler, in order. */
  readonly delivered: Command[] = [];
  /** Everything written to the wire, in order. */
  wire: Buffer[] = [];
  /** Every answer produced by handlers, as latin1 text, in order. */
  readonly produced: string[] = [];
  /** The answers produced for each delivered command, by delivery index. */
  readonly answersOf: string[][] = [];
  /** Steps that stopped a pump, in order (for assertions). */
  readonly stops: ServerStep[] = [];
  ended = false;
  shutdownAsked = false;
  /** An async handler waiting to settle: its answers, or 'never'/'reject'. */
  pending: Outcome | undefined;
  private inFlight: Buffer | undefined;
  maxOutputBytes = 0;

  constructor(
    private readonly outcome: (command: Command, index: number) => Outcome,
    options: ServerSessionOptions = {},
  ) {
    this.session = new ServerSession(options);
  }

  /** Asks the session what to do until it has to wait; hands out output (one piece in flight). */
  pump(): ServerStep {
    const s = this.session;
    for (;;) {
      const step = s.next();
      if (typeof step !== 'string') {
        this.run(step);
        continue;
      }
      if (step === 'shutdown') this.shutdownAsked = true;
      if (step === 'end') this.ended = true;
      if (step === 'disconnect' || step === 'shutdown' || step === 'end') continue;
      this.stops.push(step);
      this.maxOutputBytes = Math.max(this.maxOutputBytes, s.outputBytes);
      if (this.inFlight === undefined) this.inFlight = s.output();
      return step;
    }
  }

  private run(command: Command): void {
    const o = this.outcome(command, this.delivered.length);
    this.delivered.push(command);
    this.answersOf.push([]);
    if (o.kind === 'sync') {
      for (const a of o.answers) this.answer(a);
      this.session.done();
    } else if (o.kind === 'throw') {
      this.session.done();
    } else {
      this.pending = o;
    }
  }

  private answer(a: Payload): void {
    this.session.send(a);
    const text = Buffer.from(a).toString('latin1'); // as bytes, like the wire
    this.produced.push(text);
    this.answersOf.at(-1)!.push(text); // answers always belong to the latest delivery (one handler at a time)
  }

  /** Settles the pending async handler (never-handlers stay pending). */
  settle(): boolean {
    const o = this.pending;
    if (o === undefined || o.kind === 'never') return false;
    this.pending = undefined;
    if (o.kind === 'async' && this.session.canSend) for (const a of o.answers) this.answer(a);
    this.session.done();
    this.pump();
    return true;
  }

  /** The piece in flight reached the kernel: it goes on the wire. */
  drain(): boolean {
    const b = this.inFlight;
    if (b === undefined) return false;
    this.inFlight = undefined;
    this.wire.push(Buffer.from(b));
    this.session.written();
    this.pump();
    return true;
  }

  /** Drains until nothing is in flight (bounded). */
  drainAll(limit = 100_000): void {
    for (let i = 0; i < limit && this.drain(); i++);
  }

  feed(data: Buffer): void {
    this.session.receive(data);
    this.pump();
  }

  eof(): void {
    this.session.receiveEnd();
    this.pump();
  }

  close(): void {
    this.session.close();
    this.pump();
  }

  /** The socket is gone (reset): the pending handler, if any, settles later into nothing. */
  gone(): void {
    this.session.gone();
    this.inFlight = undefined;
    if (this.pending !== undefined && this.pending.kind !== 'never') this.pending = { kind: 'throw' };
  }

  /** The wire as latin1 text. */
  get wireText(): string {
    return Buffer.concat(this.wire).toString('latin1');
  }
}
