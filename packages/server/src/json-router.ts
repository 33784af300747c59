/**
 * `jsonRouter`: a command handler for JSON commands, built from a map of
 * command names to handlers and typed from one shared {@link CommandMap}.
 * It answers every JSON command with exactly one line: the handler's result
 * as JSON, or `{"error": {"code", "message", "details"?}}`. It never breaks
 * the connection: unknown commands, bad JSON, bad parameters and handler
 * failures are answers, not errors. Built-ins (`ping`, `disconnect`,
 * `shutdown`) never reach it; other plain-text lines go to `text` when given.
 */
import {
  DEFAULT_COMMAND_FIELD,
  decodeJsonCommand,
  encodeJsonError,
  encodeJsonResult,
  isOnelineError,
  type Command,
  type CommandName,
  type CommandSpecs,
  type JsonErrorObject,
  type OnelineError,
  type StandardSchemaV1,
} from '@socket-oneline/protocol';
import type { CommandHandler, HandlerContext, HandlerResult } from './handler.js';

/** What a JSON command handler gets besides its parameters. */
export interface JsonHandlerContext extends HandlerContext {
  /** The command name. */
  readonly name: string;
  /** The raw line. */
  readonly command: Command;
}

/** One handler per command of `M`, typed from it. */
export type JsonHandlers<M extends CommandSpecs<M>> = {
  readonly [K in CommandName<M>]: (params: M[K]['params'], context: JsonHandlerContext) => M[K]['result'] | Promise<M[K]['result']>;
};

/** Options of {@link jsonRouter}. */
export interface JsonRouterOptions<M extends CommandSpecs<M>> {
  /** The field that holds the command name. @defaultValue `'cmd'` */
  field?: string;
  /**
   * Validators per command, anything that implements the Standard Schema
   * interface (Zod, Valibot, ArkType, ... or your own). Failing parameters
   * are answered with `ERR_ONELINE_BAD_PARAMS` and the issues in `details`;
   * the handler gets the validator's output. @defaultValue none
   */
  schemas?: { readonly [K in CommandName<M>]?: StandardSchemaV1<unknown, M[K]['params']> };
  /** Handles lines that are not JSON objects (plain-text commands on the same port). @defaultValue answered with an `ERR_ONELINE_JSON_*` error */
  text?: CommandHandler;
}

/**
 * An error a JSON handler may throw to choose the code of its error answer
 * (any error with a string `code` does the same).
 */
export class JsonCommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'JsonCommandError';
  }
}

function failure(code: string, message: string, details?: unknown): string {
  return encodeJsonError(details === undefined ? { code, message } : { code, message, details });
}

function fromThrown(err: unknown): string {
  if (err instanceof JsonCommandError) return failure(err.code, err.message, err.details);
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' && !isOnelineError(err) ? e.code : 'ERR_ONELINE_COMMAND_FAILED';
  return failure(code, message);
}

function issuesOf(result: { issues?: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> }): unknown {
  return (result.issues ?? []).map((i) => ({
    message: i.message,
    ...(i.path !== undefined ? { path: i.path.map((p) => String(typeof p === 'object' ? p.key : p)) } : {}),
  }));
}

/**
 * Builds a command handler for JSON commands.
 *
 * @example
 * ```ts
 * interface Device extends CommandMap {
 *   click_left: { params: { x: number; y: number }; result: { value: 'ack' } };
 * }
 * const server = new OnelineServer({
 *   handler: jsonRouter<Device>({ click_left: ({ x, y }) => ({ value: 'ack' }) }),
 * });
 * ```
 * @throws OnelineError `ERR_ONELINE_INVALID_OPTION` if a handler is not a function.
 */
export function jsonRouter<M extends CommandSpecs<M>>(handlers: JsonHandlers<M>, options: JsonRouterOptions<M> = {}): CommandHandler {
  const field = options.field ?? DEFAULT_COMMAND_FIELD;
  const table = new Map<string, (params: unknown, context: JsonHandlerContext) => unknown>();
  for (const [name, h] of Object.entries(handlers)) {
    if (typeof h !== 'function') throw new TypeError(`jsonRouter: the handler of '${name}' must be a function`);
    table.set(name, h as (params: unknown, context: JsonHandlerContext) => unknown);
  }
  const schemas = (options.schemas ?? {}) as Record<string, StandardSchemaV1 | undefined>;
  const text = options.text;

  const codec = { field };

  return (command, reply, context): HandlerResult | Promise<HandlerResult> => {
    if (command.invalid) {
      return failure(command.reason === 'too-long' ? 'ERR_ONELINE_LINE_TOO_LONG' : 'ERR_ONELINE_JSON_SYNTAX', `the command line is ${command.reason}`);
    }
    let decoded;
    try {
      decoded = decodeJsonCommand(command.text, codec);
    } catch (err) {
      // Plain text (not even the start of an object) goes to the text handler when there is one.
      if (text !== undefined && !command.text.trimStart().startsWith('{')) return text(command, reply, context);
      const e = err as OnelineError;
      return failure(e.code, e.message);
    }
    const { name, params } = decoded;
    const handler = table.get(name);
    if (handler === undefined) return failure('ERR_ONELINE_UNKNOWN_COMMAND', `unknown command '${name}'`);
    const ctx = new JsonContext(name, command, context);
    const schema = schemas[name];
    if (schema === undefined) return run(handler, params, ctx);
    const checked = schema['~standard'].validate(params);
    const afterCheck = (r: Awaited<typeof checked>): HandlerResult | Promise<HandlerResult> =>
      r.issues !== undefined ? failure('ERR_ONELINE_BAD_PARAMS', `bad parameters for '${name}'`, issuesOf(r)) : run(handler, r.value, ctx);
    return checked instanceof Promise ? checked.then(afterCheck, fromThrown) : afterCheck(checked);
  };
}

/** A JSON handler's context: the connection's, plus the command (a class, so a call allocates no closures). */
class JsonContext implements JsonHandlerContext {
  constructor(
    readonly name: string,
    readonly command: Command,
    private readonly context: HandlerContext,
  ) {}

  get reply(): HandlerContext['reply'] {
    return this.context.reply;
  }

  get client(): HandlerContext['client'] {
    return this.context.client;
  }

  // Read through: the connection's signal is made on first access.
  get signal(): AbortSignal {
    return this.context.signal;
  }

  // A property (not a method) as before: `const { drained } = context` keeps working.
  get drained(): () => Promise<void> {
    const context = this.context;
    return () => context.drained();
  }
}

/** Runs a handler and turns what it returns, throws or rejects with into one answer line. */
function run(
  handler: (params: unknown, context: JsonHandlerContext) => unknown,
  params: unknown,
  ctx: JsonHandlerContext,
): HandlerResult | Promise<HandlerResult> {
  let out: unknown;
  try {
    out = handler(params, ctx);
  } catch (err) {
    return fromThrown(err);
  }
  if (out instanceof Promise || (typeof out === 'object' && out !== null && typeof (out as PromiseLike<unknown>).then === 'function')) {
    return Promise.resolve(out as PromiseLike<unknown>).then(answer, fromThrown);
  }
  return answer(out);
}

/** One answer line for a handler's result. */
function answer(result: unknown): string {
  try {
    return encodeJsonResult(result);
  } catch (err) {
    const e: JsonErrorObject = { code: 'ERR_ONELINE_COMMAND_FAILED', message: (err as Error).message };
    return encodeJsonError(e);
  }
}
