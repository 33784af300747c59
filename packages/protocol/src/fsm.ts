import { OnelineError } from './errors.js';

/** Which end of the connection a state machine plays. */
export type Role = 'server' | 'client';

/**
 * A transition table: for each state, the events it accepts and the state
 * each leads to. An event missing from a state's row is illegal there.
 */
export type TransitionTable<S extends string, E extends string> = {
  readonly [state in S]: { readonly [event in E]?: S };
};

/**
 * Looks up the next state.
 * @throws OnelineError `ERR_ONELINE_ILLEGAL_TRANSITION`, naming role, state and event.
 */
export function nextState<S extends string, E extends string>(
  role: Role,
  table: TransitionTable<S, E>,
  state: S,
  event: E,
): S {
  const next = table[state][event];
  if (next === undefined) throw illegalTransition(role, state, event);
  return next;
}

/**
 * One state of a compiled table: its name, and for every event the state it
 * leads to (`null` where the table has none). Every state's `on` object has
 * the same keys in the same order, so `node.on.someEvent` is a fast
 * property load: the hot path reads the table itself, compiled once.
 */
export interface CompiledState<S extends string, E extends string> {
  readonly name: S;
  readonly on: { readonly [event in E]: CompiledState<S, E> | null };
}

/**
 * Compiles a transition table into linked state nodes (see {@link CompiledState}).
 * The nodes are derived from `table` alone, so the table stays the single source of truth.
 */
export function compileTable<S extends string, E extends string>(
  table: TransitionTable<S, E>,
  events: readonly E[],
): { readonly [state in S]: CompiledState<S, E> } {
  const nodes = {} as { [state in S]: { name: S; on: Record<E, CompiledState<S, E> | null> } };
  const states = Object.keys(table) as S[];
  for (const s of states) nodes[s] = { name: s, on: {} as Record<E, CompiledState<S, E> | null> };
  for (const s of states) {
    for (const e of events) {
      const to = table[s][e];
      nodes[s].on[e] = to === undefined ? null : nodes[to];
    }
  }
  for (const s of states) {
    Object.freeze(nodes[s].on);
    Object.freeze(nodes[s]);
  }
  return Object.freeze(nodes);
}

/** The error {@link nextState} throws, for shells that look transitions up in a compiled table. */
export function illegalTransition(role: Role, state: string, event: string): OnelineError {
  return new OnelineError(
    'ERR_ONELINE_ILLEGAL_TRANSITION',
    `illegal transition: role '${role}' in state '${state}' cannot handle event '${event}'`,
  );
}
