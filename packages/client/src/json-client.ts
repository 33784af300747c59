/**
 * `JsonClient`: typed calls of JSON commands over an {@link OnelineClient},
 * the client side of the server's `jsonRouter`. Each call writes one JSON
 * command line and reads one answer line through `request()`, so
 * pipelining, timeouts, `AbortSignal` and the realignment after a timeout
 * work exactly as for plain requests.
 */
import {
  DEFAULT_COMMAND_FIELD,
  OnelineError,
  decodeJsonAnswer,
  encodeJsonCommand,
  type CommandName,
  type CommandSpecs,
  type ResponseLine,
} from '@socket-oneline/protocol';
import type { OnelineClient, WaitOptions } from './client.js';

/** The arguments of `call(name, ...)`: parameters are optional only for commands whose params allow `undefined`. */
export type CallArgs<M extends CommandSpecs<M>, K extends keyof M> = undefined extends M[K]['params']
  ? [params?: M[K]['params'], options?: WaitOptions]
  : [params: M[K]['params'], options?: WaitOptions];

/** Options of {@link JsonClient}. */
export interface JsonClientOptions {
  /** The field that holds the command name. @defaultValue `'cmd'` */
  field?: string;
}

/**
 * Typed JSON calls over an {@link OnelineClient}.
 *
 * @example
 * ```ts
 * const device = new JsonClient<Device>(client);
 * const { value } = await device.call('click_left', { x: 10, y: 20 }); // typed
 * ```
 */
export class JsonClient<M extends CommandSpecs<M>> {
  /** The connection the calls go over (connect it first). */
  readonly client: OnelineClient;
  // The codec options, made once (not per call).
  readonly #codec: { readonly field: string };

  /**
   * @param client The connection the calls go over (connect it first).
   * @param options The command field name. @defaultValue `{ field: 'cmd' }`
   */
  constructor(client: OnelineClient, options: JsonClientOptions = {}) {
    this.client = client;
    this.#codec = { field: options.field ?? DEFAULT_COMMAND_FIELD };
  }

  /**
   * Calls command `name` with its parameters; resolves with its typed result.
   * @throws OnelineError `ERR_ONELINE_REMOTE_ERROR` for an error answer (`err.remote` is the
   *   server's `{ code, message, details? }`); `ERR_ONELINE_JSON_SYNTAX` for an answer that is not
   *   JSON; `ERR_ONELINE_INVALID_OPTION` for parameters JSON cannot hold; and whatever
   *   `request()` throws (`ERR_ONELINE_TIMEOUT`, `ERR_ONELINE_ABORTED`, `ERR_ONELINE_CLOSED`, ...).
   */
  call<K extends CommandName<M>>(name: K, ...args: CallArgs<M, K>): Promise<M[K]['result']> {
    const [params, options] = args as [object | undefined, WaitOptions | undefined];
    let line: string;
    try {
      line = encodeJsonCommand(name, params, this.#codec);
    } catch (err) {
      return Promise.reject(err);
    }
    // One line per answer: the default request already reads one (no options object per call).
    const request = options === undefined ? this.client.request(line) : this.client.request(line, { ...options, lines: 1 });
    return request.then((lines) => resultOf(name, lines));
  }
}

/** The typed result of an answer, or the error it carries. */
function resultOf(name: string, lines: readonly ResponseLine[]): unknown {
  const answer = lines[0];
  if (answer === undefined) throw new OnelineError('ERR_ONELINE_CLOSED', `no answer to '${name}'`);
  const decoded = decodeJsonAnswer(answer.text);
  if (decoded.ok) return decoded.result;
  const { code, message } = decoded.error;
  throw new OnelineError('ERR_ONELINE_REMOTE_ERROR', `${name}: ${code}: ${message}`, { remote: decoded.error });
}
