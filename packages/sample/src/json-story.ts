/**
 * The JSON story (`npx nx run sample:json`): the device server as its own
 * process, driven by the typed `JsonClient` (each call checked against the
 * shared `Device` command map at compile time), then the same port answering
 * plain text and built-ins, then `shutdown`. Prints a transcript like the
 * doit story and exits 0 only if every answer was as expected.
 */
import { join } from 'node:path';
import { JsonClient, isOnelineError, launch, type LaunchedProgram } from '@socket-oneline/client';
import type { Device, Widget } from './device.js';
import { LISTENING } from './doit.js';

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
  let device: LaunchedProgram | undefined;
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
    device = await launch(process.execPath, [options.serverBin ?? defaultBin(), '--port', '0'], { ready: LISTENING, timeout: 5000 });
    const { host, port } = device.address as { host: string; port: number };
    print(`device   **  pid ${device.pid} listening on ${host}:${port}`);
    const client = device.client;
    print('client   **  connected (handshake: ping -> pong)');
    const calls = new JsonClient<Device>(client);

    await step('status', () => calls.call('status'), (r) => (r.state === 'idle' ? undefined : `state ${r.state}`), (r) => JSON.stringify(r));
    await step('click_left {"x":170,"y":3}', () => calls.call('click_left', { x: 170, y: 3 }), (r) => (r.value === 'ack' && r.hit !== null ? undefined : JSON.stringify(r)), (r) => JSON.stringify(r));
    await step('type_text {"id":"w-1-2","text":"line one\\nline two"}', () => calls.call('type_text', { id: 'w-1-2', text: 'line one\nline two' }), (r) => (r.value === 'ack' ? undefined : 'no ack'), (r) => JSON.stringify(r));
    const screen = await step(
      'get_screen',
      () => calls.call('get_screen'),
      (w) => (count(w) > 10_000 ? undefined : `only ${count(w)} widgets`),
      (w) => `a widget tree: ${count(w)} widgets, ${(JSON.stringify(w).length / 1e6).toFixed(1)} MB as one line`,
    );
    await step('get_screen {"depth":1}', () => calls.call('get_screen', { depth: 1 }), (w) => (w.children.length === screen.children.length && w.children.every((c) => c.children.length === 0) ? undefined : 'not pruned'), (w) => `${count(w)} widgets`);
    await step(
      'click_left {"x":-1,"y":0}  (refused by the validator)',
      () => calls.call('click_left', { x: -1, y: 0 }).then(() => 'no error', (e: unknown) => (isOnelineError(e, 'ERR_ONELINE_REMOTE_ERROR') ? `${e.remote?.code}: ${e.remote?.message}` : String(e))),
      (r) => (r.startsWith('ERR_ONELINE_BAD_PARAMS') ? undefined : r),
      (r) => `error ${r}`,
    );
    const burst = await step(
      '3 calls pipelined: status, click_left, status',
      () => Promise.all([calls.call('status'), calls.call('click_left', { x: 5, y: 5 }), calls.call('status')]),
      ([a, b, c]) => (c.clicks === a.clicks + 1 && b.value === 'ack' ? undefined : 'out of order'),
      (r) => r.map((x) => JSON.stringify(x)).join(' '),
    );
    void burst;
    await step('cmd01  (plain text on the same port)', () => client.request('cmd01'), ([l]) => (l?.text === 'ack' ? undefined : l?.text), ([l]) => l?.text ?? '');
    await client.shutdown();
    print('client   **  shutdown');
    const exit = await device.stop({ stopGrace: 5000 });
    if (!exit.clean) throw new Error(`device: expected exit code 0 after shutdown, got ${JSON.stringify(exit)}`);
    print('device   **  process exited with code 0');
    const message = `OK: ${checked} typed calls and answers checked, device exited 0, ${(performance.now() - t0).toFixed(0)} ms in all`;
    print(message);
    return { ok: true, message };
  } catch (err) {
    const message = `FAIL: ${err instanceof Error ? err.message : String(err)}`;
    print(message);
    return { ok: false, message };
  } finally {
    await device?.stop({ stopGrace: 2000, killGrace: 2000 });
  }
}

/** The `sample:json` command. */
export async function main(): Promise<number> {
  return (await runJsonStory()).ok ? 0 : 1;
}
