import { OnelineServer, jsonRouter } from '@socket-oneline/server';
import type { CommandMap } from '@socket-oneline/protocol';
import { OnelineClient } from './client.js';
import { JsonClient } from './json-client.js';

interface Device extends CommandMap {
  click_left: { params: { x: number; y: number }; result: { value: 'ack' } };
  status: { params: undefined; result: { state: string } };
  echo: { params: { text: string }; result: { text: string } };
  fail: { params: undefined; result: never };
  slow: { params: { ms: number }; result: { waited: number } };
}

let server: OnelineServer | undefined;
let client: OnelineClient | undefined;
afterEach(async () => {
  client?.destroy();
  await server?.close();
  server = client = undefined;
});

async function start(): Promise<JsonClient<Device>> {
  server = new OnelineServer({
    handler: jsonRouter<Device>({
      click_left: () => ({ value: 'ack' }),
      status: () => ({ state: 'idle' }),
      echo: ({ text }) => ({ text }),
      fail: () => {
        throw new Error('no such widget');
      },
      slow: async ({ ms }, ctx) => {
        await new Promise((r) => setTimeout(r, ms));
        return { waited: ctx.signal.aborted ? -1 : ms };
      },
    }),
  });
  const { port } = await server.listen();
  client = new OnelineClient({ port });
  await client.connect();
  return new JsonClient<Device>(client);
}

describe('JsonClient', () => {
  it('calls commands with typed parameters and resolves with typed results [SRS-054]', async () => {
    const device = await start();
    const r = await device.call('click_left', { x: 10, y: 20 });
    expect(r.value).toBe('ack');
    expect(await device.call('status')).toEqual({ state: 'idle' });
  });

  it('carries a LF inside a parameter (JSON escapes it) and gets it back [SRS-054]', async () => {
    const device = await start();
    expect(await device.call('echo', { text: 'two\nlines' })).toEqual({ text: 'two\nlines' });
  });

  it('pipelined calls resolve with their own results, in order [SRS-054]', async () => {
    const device = await start();
    const calls = [device.call('slow', { ms: 20 }), device.call('status'), device.call('echo', { text: 'x' })];
    expect(await Promise.all(calls)).toEqual([{ waited: 20 }, { state: 'idle' }, { text: 'x' }]);
  });

  it('an error answer rejects with ERR_ONELINE_REMOTE_ERROR carrying the server error object, and the next call works [SRS-054]', async () => {
    const device = await start();
    await expect(device.call('fail')).rejects.toMatchObject({
      code: 'ERR_ONELINE_REMOTE_ERROR',
      remote: { code: 'ERR_ONELINE_COMMAND_FAILED', message: 'no such widget' },
    });
    expect(await device.call('status')).toEqual({ state: 'idle' });
  });

  it('a call that times out rejects with ERR_ONELINE_TIMEOUT [SRS-054]', async () => {
    const device = await start();
    await expect(device.call('slow', { ms: 300 }, { timeout: 50 })).rejects.toMatchObject({ code: 'ERR_ONELINE_TIMEOUT' });
  });

  it('parameters JSON cannot hold reject the call (never a synchronous throw) and send nothing; the next call works [SRS-054]', async () => {
    const device = await start();
    const cyclic: { text: string; self?: unknown } = { text: 'x' };
    cyclic.self = cyclic;
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = device.call('echo', cyclic);
    }).not.toThrow();
    await expect(p).rejects.toMatchObject({ code: 'ERR_ONELINE_INVALID_OPTION' });
    expect(await device.call('echo', { text: 'after' })).toEqual({ text: 'after' });
  });

  it('a call with options (signal, timeout) still reads exactly one line; an aborted signal rejects at once [SRS-054]', async () => {
    const device = await start();
    expect(await device.call('status', undefined, { timeout: 1000, signal: new AbortController().signal })).toEqual({ state: 'idle' });
    await expect(device.call('status', undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_ONELINE_ABORTED' });
    expect(await device.call('echo', { text: 'next' })).toEqual({ text: 'next' });
  });
});

// Compile-time checks (run by the typecheck target, never called): a wrong
// command name or wrong parameters do not compile.
export function typeChecks(device: JsonClient<Device>): void {
  // @ts-expect-error -- 'click_right' is not a command of Device
  void device.call('click_right', { x: 1, y: 2 });
  // @ts-expect-error -- y is missing
  void device.call('click_left', { x: 1 });
  // @ts-expect-error -- x must be a number
  void device.call('click_left', { x: '1', y: 2 });
  // @ts-expect-error -- click_left needs its parameters
  void device.call('click_left');
  // @ts-expect-error -- the result of status has no value field
  // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- the line exists to fail type checking
  void device.call('status').then((r) => r.value);
  void device.call('status').then((r) => r.state.toUpperCase());
}
