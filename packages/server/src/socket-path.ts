/**
 * A control socket on a path: a Unix domain socket file (Linux, macOS) or a
 * Windows named pipe (`\\.\pipe\name`). A socket file is a door into the
 * program, so it is created owner-only by default, a live server's file is
 * never taken over, and a stale file (left by a crash) is replaced.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { OnelineError } from '@socket-oneline/protocol';

/** True for a Windows named pipe path: no file, no mode, nothing to clean up. */
export function isNamedPipe(path: string): boolean {
  return /^\\\\[.?]\\pipe\\/i.test(path);
}

/** Resolves true when something accepts connections on `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Makes `path` ready to listen on: refuses one held by a live server,
 * removes a stale socket file, refuses anything that is not a socket.
 * @throws OnelineError `ERR_ONELINE_ADDRESS_IN_USE` (a live server), `ERR_ONELINE_LISTEN_FAILED` (not a socket).
 */
export async function prepareSocketPath(path: string): Promise<void> {
  if (isNamedPipe(path)) return;
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) {
    throw new OnelineError('ERR_ONELINE_LISTEN_FAILED', `cannot listen on ${path}: it exists and is not a socket`);
  }
  if (await answers(path)) {
    throw new OnelineError('ERR_ONELINE_ADDRESS_IN_USE', `cannot listen on ${path}: another server is listening there`);
  }
  unlinkSync(path); // stale: its server is gone
}

/** Sets the socket file's mode (owner-only by default). */
export function restrictSocketPath(path: string, mode: number): void {
  if (!isNamedPipe(path)) chmodSync(path, mode);
}

/** Removes our socket file after close, if it is still a socket. */
export function removeSocketPath(path: string): void {
  if (isNamedPipe(path)) return;
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Runs `listen` with a umask that keeps a new socket file owner-only until it is chmod'ed. */
export function withPrivateUmask<T>(listen: () => T): T {
  let previous: number | undefined;
  try {
    previous = process.umask(0o177);
  } catch {
    // Not allowed here (e.g. a worker thread): the chmod right after listening still applies.
  }
  try {
    return listen();
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
}
