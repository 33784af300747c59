// Runs the `oneline` CLI in-process with captured streams: one-shot and piped
// (`cli`) or held open like a terminal session (`startCli`).
import { PassThrough } from 'node:stream';
import { run } from '../cli.js';

/** A CLI run whose stdin the test writes to. */
export interface CliSession {
  readonly input: PassThrough & { isTTY?: boolean };
  /** The exit code, once the run ends. */
  readonly done: Promise<number>;
  /** Everything printed on stdout / stderr so far. */
  out(): string;
  err(): string;
}

/** Starts the CLI; `tty: true` makes stdin look like a terminal (the interactive prompt). */
export function startCli(argv: string[], tty = false): CliSession {
  const input = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (tty) input.isTTY = true;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  const done = run(argv, { stdin: input, stdout, stderr });
  return { input, done, out: () => o, err: () => e };
}

/** Runs the CLI to the end, with `stdin` piped in when given. */
export async function cli(argv: string[], stdin?: string, tty = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const s = startCli(argv, tty);
  if (stdin !== undefined) s.input.end(stdin);
  const code = await s.done;
  return { code, stdout: s.out(), stderr: s.err() };
}
