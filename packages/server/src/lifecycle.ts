/**
 * The listening server's lifecycle, as a transition table (the single source
 * of truth; a test walks every state x event and checks this header):
 *
 * | state     | listen   | bound     | failed  | stop     | listener-closed | drained |
 * | --------- | -------- | --------- | ------- | -------- | --------------- | ------- |
 * | new       | starting | -         | -       | stopped  | -               | -       |
 * | starting  | -        | listening | stopped | stopping | -               | -       |
 * | listening | -        | -         | -       | stopping | -               | -       |
 * | stopping  | -        | -         | -       | stopping | draining        | -       |
 * | draining  | -        | -         | -       | draining | -               | stopped |
 * | stopped   | -        | -         | -       | stopped  | -               | -       |
 *
 * Events: `listen` listen() was called; `bound` the listener is up; `failed`
 * it could not listen; `stop` a `shutdown` command or close(); `listener-
 * closed` no listener is left (closed, or never opened because the server
 * was stopped while starting); `drained` no connection is left. A stop while
 * starting lets listen() finish its step, then listen() closes what it
 * opened and rejects: the server never listens after close() was called.
 */
import { compileTable, illegalTransition, type CompiledState, type TransitionTable } from '@socket-oneline/protocol';

/** States of the listening server. */
export type ListenerState = 'new' | 'starting' | 'listening' | 'stopping' | 'draining' | 'stopped';
/** Events of {@link LISTENER_TRANSITIONS}. */
export type ListenerEvent = 'listen' | 'bound' | 'failed' | 'stop' | 'listener-closed' | 'drained';

/** The listening server's transition table. */
export const LISTENER_TRANSITIONS: TransitionTable<ListenerState, ListenerEvent> = Object.freeze({
  new: { listen: 'starting', stop: 'stopped' },
  starting: { bound: 'listening', failed: 'stopped', stop: 'stopping' },
  listening: { stop: 'stopping' },
  stopping: { stop: 'stopping', 'listener-closed': 'draining' },
  draining: { stop: 'draining', drained: 'stopped' },
  stopped: { stop: 'stopped' },
});

/** Every event, in the header's column order. */
export const LISTENER_EVENTS: readonly ListenerEvent[] = ['listen', 'bound', 'failed', 'stop', 'listener-closed', 'drained'];
const NODES = compileTable(LISTENER_TRANSITIONS, LISTENER_EVENTS);

/** The current state of one server, moved only through the table. */
export class Lifecycle {
  #node: CompiledState<ListenerState, ListenerEvent> = NODES.new;

  get state(): ListenerState {
    return this.#node.name;
  }

  /**
   * Takes the transition for `event`.
   * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION` (naming role, state and event) where the table has none.
   */
  go(event: ListenerEvent): ListenerState {
    const next = this.#node.on[event];
    if (next === null) throw illegalTransition('server', this.#node.name, event);
    this.#node = next;
    return next.name;
  }
}
