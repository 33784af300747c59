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
  if (next === undefined) {
    throw new OnelineError(
      'ERR_ONELINE_ILLEGAL_TRANSITION',
      `illegal transition: role '${role}' in state '${state}' cannot handle event '${event}'`,
    );
  }
  return next;
}
