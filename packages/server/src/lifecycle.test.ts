import { expect } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { LISTENER_EVENTS, LISTENER_TRANSITIONS, Lifecycle, type ListenerEvent, type ListenerState } from './lifecycle.js';
import { OnelineServer } from './server.js';
import { withTimeout } from './test-support/harness.js';

let dir: string;
const servers: OnelineServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'oneline-life-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) await withTimeout(s.close(), 5000, 'close');
  rmSync(dir, { recursive: true, force: true });
});

/** True when nothing accepts connections on the socket file `path`. */
function refused(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('server lifecycle', () => {
  /** Calls close() right after listen(), before it could finish: listen() must reject and close() resolve. */
  async function closeWhileStarting(server: OnelineServer): Promise<void> {
    servers.push(server);
    const listening = server.listen();
    const closing = server.close();
    await expect(listening).rejects.toMatchObject({ code: 'ERR_ONELINE_SERVER_STATE' });
    await withTimeout(closing, 2000, 'close');
    await withTimeout(server.closed, 2000, 'closed');
    expect(server.running).toBe(false);
  }

  it('close() while listen() is still starting (socket path): listen rejects with ERR_ONELINE_SERVER_STATE, nothing listens, closed resolves', async () => {
    const path = join(dir, 'c.sock');
    await closeWhileStarting(new OnelineServer({ handler: () => 'ack', path }));
    expect(existsSync(path)).toBe(false);
    expect(await refused(path)).toBe(true);
  });

  it('close() while listen() is still starting (TCP): listen rejects, no address is bound, closed resolves', async () => {
    const server = new OnelineServer({ handler: () => 'ack' });
    await closeWhileStarting(server);
    expect(server.address).toBeUndefined();
  });

  it('listen() after close() rejects with ERR_ONELINE_SERVER_STATE', async () => {
    const server = new OnelineServer({ handler: () => 'ack' });
    servers.push(server);
    await server.close();
    await expect(server.listen()).rejects.toMatchObject({ code: 'ERR_ONELINE_SERVER_STATE' });
  });
});

describe('the listener transition table', () => {
  const STATES = Object.keys(LISTENER_TRANSITIONS) as ListenerState[];

  it('the table in the file header is the table in the code', () => {
    const src = readFileSync(join(__dirname, 'lifecycle.ts'), 'utf8');
    const lines = src.split('\n');
    const header = lines.find((l) => /^ \* \| state +\|/.test(l))!;
    const events = header.replace(/^ \* \|/, '').split('|').slice(1, -1).map((c) => c.trim());
    expect(events).toEqual(LISTENER_EVENTS);
    const parsed: Record<string, Record<string, string>> = {};
    for (const l of lines.filter((x) => /^ \* \| [a-z][a-z-]* +\|/.test(x) && !/^ \* \| state /.test(x))) {
      const [state, ...cells] = l.replace(/^ \* \|/, '').split('|').slice(0, -1).map((c) => c.trim());
      parsed[state!] = {};
      cells.forEach((c, i) => c !== '-' && (parsed[state!]![events[i]!] = c));
    }
    expect(parsed).toEqual(JSON.parse(JSON.stringify(LISTENER_TRANSITIONS)));
  });

  // The shortest event path from `new` to each state.
  const paths: Record<ListenerState, ListenerEvent[]> = {
    new: [],
    starting: ['listen'],
    listening: ['listen', 'bound'],
    stopping: ['listen', 'bound', 'stop'],
    draining: ['listen', 'bound', 'stop', 'listener-closed'],
    stopped: ['stop'],
  };

  it.each(STATES)('from %s, every event goes where the table says or throws ERR_ONELINE_ILLEGAL_TRANSITION naming role, state and event', (state) => {
    for (const event of LISTENER_EVENTS) {
      const life = new Lifecycle();
      for (const e of paths[state]) life.go(e);
      expect(life.state).toBe(state);
      const to = LISTENER_TRANSITIONS[state][event];
      if (to === undefined) {
        expect(() => life.go(event)).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_ILLEGAL_TRANSITION', message: expect.stringContaining(`'${state}'`) }));
        expect(life.state).toBe(state);
      } else {
        expect(life.go(event)).toBe(to);
      }
    }
  });

  it('every state is reachable from new and stopped is reachable from every state', () => {
    const reachable = (from: ListenerState): Set<ListenerState> => {
      const seen = new Set<ListenerState>([from]);
      const todo = [from];
      for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
        for (const to of Object.values(LISTENER_TRANSITIONS[s])) {
          if (!seen.has(to)) {
            seen.add(to);
            todo.push(to);
          }
        }
      }
      return seen;
    };
    expect([...reachable('new')].sort()).toEqual([...STATES].sort());
    for (const s of STATES) expect(reachable(s).has('stopped')).toBe(true);
  });
});
