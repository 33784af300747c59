/**
 * The sample client used by the doit story: an `OnelineClient` that records a
 * transcript (client, direction, line, round-trip time) and checks each answer.
 */
import { OnelineClient, isOnelineError } from '@socket-oneline/client';

/** One transcript line. `dir`: `->` sent, `<-` received, `**` an event. */
export interface TranscriptEntry {
  who: string;
  dir: '->' | '<-' | '**';
  line: string;
  rttMs?: number;
}

/** Thrown when an answer is not the expected one. */
export class StoryError extends Error {
  override name = 'StoryError';
}

function describeFailure(err: unknown): string {
  return isOnelineError(err) ? `${err.message} (${err.code})` : String(err);
}

/** A client that narrates what it does. */
export class StoryClient {
  private readonly client: OnelineClient;
  /** Answers checked so far. */
  checked = 0;

  /** @param server where to connect, or a client already connected (e.g. by `launch()`). */
  constructor(
    readonly name: string,
    server: { host: string; port: number } | OnelineClient,
    private readonly record: (e: TranscriptEntry) => void,
  ) {
    this.client = server instanceof OnelineClient ? server : new OnelineClient({ ...server, timeout: 3000, connectTimeout: 3000, retryFor: 2000 });
  }

  /** Records a connect made elsewhere (by `launch()`), which took `ms`. */
  connected(ms: number): void {
    this.record({ who: this.name, dir: '**', line: 'connected (handshake: ping -> pong)', rttMs: ms });
  }

  async connect(): Promise<void> {
    const t0 = performance.now();
    try {
      await this.client.connect();
    } catch (err) {
      throw new StoryError(`${this.name}: could not connect: ${describeFailure(err)}`);
    }
    this.connected(performance.now() - t0);
  }

  /** Sends `cmd` and checks that the one-line answer is `expected`. */
  async expect(cmd: string, expected: string): Promise<void> {
    this.record({ who: this.name, dir: '->', line: cmd });
    const t0 = performance.now();
    let got: string;
    try {
      const [line] = await this.client.request(cmd);
      got = line!.text;
    } catch (err) {
      throw new StoryError(`${this.name}: sent '${cmd}', expected '${expected}', got no answer: ${describeFailure(err)}`);
    }
    this.record({ who: this.name, dir: '<-', line: got, rttMs: performance.now() - t0 });
    if (got !== expected) throw new StoryError(`${this.name}: sent '${cmd}', expected '${expected}', got '${got}'`);
    this.checked++;
  }

  /** Sends every command at once (pipelined), then checks every answer, in order. */
  async burst(pairs: readonly (readonly [cmd: string, expected: string])[]): Promise<void> {
    const t0 = performance.now();
    const pending = pairs.map(([cmd]) => {
      this.record({ who: this.name, dir: '->', line: cmd });
      return this.client.request(cmd).then(
        (lines) => ({ text: lines[0]!.text, at: performance.now() - t0 }),
        (err: unknown) => ({ error: err }),
      );
    });
    const results = await Promise.all(pending);
    results.forEach((r, i) => {
      const [cmd, expected] = pairs[i]!;
      if ('error' in r) throw new StoryError(`${this.name}: burst command ${i + 1} '${cmd}', expected '${expected}', got no answer: ${describeFailure(r.error)}`);
      this.record({ who: this.name, dir: '<-', line: r.text, rttMs: r.at });
      if (r.text !== expected) throw new StoryError(`${this.name}: burst command ${i + 1} '${cmd}', expected '${expected}', got '${r.text}'`);
      this.checked++;
    });
  }

  /** Sends `disconnect` and waits for the server to close the connection. */
  disconnect(): Promise<void> {
    return this.goodbye('disconnect');
  }

  /** Sends `shutdown` and waits for the server to close the connection. */
  shutdown(): Promise<void> {
    return this.goodbye('shutdown');
  }

  private async goodbye(kind: 'disconnect' | 'shutdown'): Promise<void> {
    this.record({ who: this.name, dir: '->', line: kind });
    const t0 = performance.now();
    try {
      await this.client[kind]();
    } catch (err) {
      throw new StoryError(`${this.name}: ${kind}: expected the server to close the connection, got: ${describeFailure(err)}`);
    }
    this.record({ who: this.name, dir: '**', line: 'server closed the connection', rttMs: performance.now() - t0 });
  }

  /** Closes the socket at once (used on failure). */
  destroy(): void {
    this.client.destroy();
  }
}
