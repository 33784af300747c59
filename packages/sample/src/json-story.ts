/**
 * The JSON story (`npx nx run sample:json`): the device server as its own
 * process, driven by the typed `JsonClient` (each call checked against the
 * shared `Device` command map at compile time), then the same port answering
 * plain text and built-ins, then `shutdown`. Prints a transcript like the
 * doit story and exits 0 only if every answer was as expected.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { JsonClient, OnelineClient, isOnelineError } from '@socket-oneline/client';
import type { Device, Widget } from './device.js';
import { reap, waitForExit, waitForListening } from './doit.js';

function defaultBin(): string {
  const here = typeof __dirname === 'string' ? __dirname : join(process.argv[1] ?? '.', '..', '..', 'dist');
  return join(here, '..', 'bin', 'oneline-device-server.js');
}

function count(w: Widget): number {
  return 1 + w.children.reduce((n, c) => n + count(c), 0);
}

/** Runs the JSON story; never throws, never leaves the device process behind. */
export async function runJsonStory(options: { print?: (line: string) => void; serverBin?: string } = {}): Promise<{ ok: boolean; message: string }> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const t0 = performance.now();
  const child = spawn(process.execPath, [options.serverBin ?? defaultBin(), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let client: OnelineClient | undefined;
  let checked = 0;
  const step = async <T>(label: string, run: () => Promise<T>, check: (v: T) => string | undefined, show: (v: T) => string): Promise<T> => {
    const s = performance.now();
    const v = await run();
    const ms = performance.now() - s;
    const bad = check(v);
    print(`client   ->  ${label}`);
    print(`client   <-  ${show(v).padEnd(60)}${ms.toFixed(2).padStart(9)} ms`);
    if (bad !== undefined) throw new Error(`${label}: ${bad}`);
    checked++;
    return v;
  };
  try {
    print('socket-oneline JSON story: a simulated GUI under test, driven by the typed JsonClient');
    const { host, port } = await waitForListening(child, 5000);
    print(`device   **  pid ${child.pid} listening on ${host}:${port}`);
    client = new OnelineClient({ host, port });
    await client.connect();
    print('client   **  connected (handshake: ping -> pong)');
    const device = new JsonClient<Device>(client);

    await step('status', () => device.call('status'), (r) => (r.state === 'idle' ? undefined : `state ${r.state}`), (r) => JSON.stringify(r));
    await step('click_left {"x":170,"y":3}', () => device.call('click_left', { x: 170, y: 3 }), (r) => (r.value === 'ack' && r.hit !== null ? undefined : JSON.stringify(r)), (r) => JSON.stringify(r));
    await step('type_text {"id":"w-1-2","text":"line one\\nline two"}', () => device.call('type_text', { id: 'w-1-2', text: 'line one\nline two' }), (r) => (r.value === 'ack' ? undefined : 'no ack'), (r) => JSON.stringify(r));
    const screen = await step(
      'get_screen',
      () => device.call('get_screen'),
      (w) => (count(w) > 10_000 ? undefined : `only ${count(w)} widgets`),
      (w) => `a widget tree: ${count(w)} widgets, ${(JSON.stringify(w).length / 1e6).toFixed(1)} MB as one line`,
    );
    await step('get_screen {"depth":1}', () => device.call('get_screen', { depth: 1 }), (w) => (w.children.length === screen.children.length && w.children.every((c) => c.children.length === 0) ? undefined : 'not pruned'), (w) => `${count(w)} widgets`);
    await step(
      'click_left {"x":-1,"y":0}  (refused by the validator)',
      () => device.call('click_left', { x: -1, y: 0 }).then(() => 'no error', (e: unknown) => (isOnelineError(e, 'ERR_ONELINE_REMOTE_ERROR') ? `${e.remote?.code}: ${e.remote?.message}` : String(e))),
      (r) => (r.startsWith('ERR_ONELINE_BAD_PARAMS') ? undefined : r),
      (r) => `error ${r}`,
    );
    const burst = await step(
      '3 calls pipelined: status, click_left, status',
      () => Promise.all([device.call('status'), device.call('click_left', { x: 5, y: 5 }), device.call('status')]),
      ([a, b, c]) => (c.clicks === a.clicks + 1 && b.value === 'ack' ? undefined : 'out of order'),
      (r) => r.map((x) => JSON.stringify(x)).join(' '),
    );
    void burst;
    await step('cmd01  (plain text on the same port)', () => client!.request('cmd01'), ([l]) => (l?.text === 'ack' ? undefined : l?.text), ([l]) => l?.text ?? '');
    await client.shutdown();
    print('client   **  shutdown');
    const exit = await waitForExit(child, 5000);
    if (exit?.code !== 0) throw new Error(`device: expected exit code 0 after shutdown, got ${JSON.stringify(exit)}`);
    print('device   **  process exited with code 0');
    const message = `OK: ${checked} typed calls and answers checked, device exited 0, ${(performance.now() - t0).toFixed(0)} ms in all`;
    print(message);
    return { ok: true, message };
  } catch (err) {
    const message = `FAIL: ${err instanceof Error ? err.message : String(err)}`;
    print(message);
    return { ok: false, message };
  } finally {
    client?.destroy();
    await reap(child, 2000);
    process.off('exit', killOnExit);
  }
}

/** The `sample:json` command. */
export async function main(): Promise<number> {
  return (await runJsonStory()).ok ? 0 : 1;
}
