/** Small helpers of `OnelineClient`: option checks, error mapping, aborts, a one-shot deadline. */
import { OnelineError, isOnelineError, type Payload } from '@socket-oneline/protocol';
import type { Deadline } from './deadlines.js';

export function checkMs(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${name} must be a finite number of ms >= 0, got ${String(v)}`);
  }
  return v;
}

export function checkPositive(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new OnelineError('ERR_ONELINE_INVALID_OPTION', `${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

// OpenSSL and X.509 verification error codes, as Node reports them.
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

/** Maps a socket error: refused, TLS (certificates, handshake, a server that does not speak TLS), or another socket failure. */
export function mapSocketError(err: NodeJS.ErrnoException, where: string): OnelineError {
  if (isOnelineError(err)) return err;
  if (err.code === 'ECONNREFUSED') {
    return new OnelineError('ERR_ONELINE_REFUSED', `connection refused by ${where}: nothing is listening there`, { cause: err });
  }
  // A socket path with nothing there: like a refused port, and worth a retry (the server may not have started yet).
  if (err.code === 'ENOENT') {
    return new OnelineError('ERR_ONELINE_REFUSED', `no socket at ${where}: nothing is listening there`, { cause: err });
  }
  if (err.code === 'EACCES') {
    return new OnelineError('ERR_ONELINE_SOCKET', `cannot connect to ${where}: permission denied (a server's socket file is owner-only unless it sets a wider mode)`, { cause: err });
  }
  if (err.code !== undefined && TLS_CODE.test(err.code)) {
    const hint = err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' ? ' (the server does not seem to speak TLS)' : '';
    return new OnelineError('ERR_ONELINE_TLS', `TLS with ${where} failed: ${err.message}${hint}`, { cause: err });
  }
  return new OnelineError('ERR_ONELINE_SOCKET', `connection to ${where} failed: ${err.message}`, { cause: err });
}

/** A deadline that calls back once (disconnect waits, realignment). */
export class Once implements Deadline {
  done = false;
  constructor(
    readonly at: number,
    private readonly fn: () => void,
  ) {}
  expire(): void {
    if (this.done) return;
    this.done = true;
    this.fn();
  }
}

export function isPing(command: Payload): boolean {
  return typeof command === 'string' ? command === 'ping' : Buffer.from(command.buffer, command.byteOffset, command.byteLength).equals(PING_BYTES);
}
const PING_BYTES = Buffer.from('ping');


export function notConnected(what: string): OnelineError {
  return new OnelineError('ERR_ONELINE_NOT_CONNECTED', `${what}: the client is not connected (call connect() first)`);
}

export function abortError(signal: AbortSignal): OnelineError {
  return new OnelineError('ERR_ONELINE_ABORTED', 'the operation was aborted', { cause: signal.reason });
}

export function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
