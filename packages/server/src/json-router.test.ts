import { expect } from '@jest/globals';
import type { CommandMap, StandardSchemaV1 } from '@socket-oneline/protocol';
import { JsonCommandError, jsonRouter } from './json-router.js';
import { cleanup, connectRaw, startServer } from './test-support/harness.js';

afterEach(cleanup);

interface Device extends CommandMap {
  click_left: { params: { x: number; y: number }; result: { value: 'ack' } };
  status: { params: undefined; result: { state: string } };
  slow: { params: { ms: number }; result: { waited: number } };
  boom: { params: undefined; result: never };
  refuse: { params: undefined; result: never };
  rename: { params: { name: string }; result: { name: string } };
}

/** A tiny Standard Schema validator written by hand: `name` must be a non-empty string. */
const nameSchema: StandardSchemaV1<unknown, { name: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) => {
      const name = (v as { name?: unknown }).name;
      return typeof name === 'string' && name.length > 0
        ? { value: { name: name.trim() } }
        : { issues: [{ message: 'name must be a non-empty string', path: ['name'] }] };
    },
  },
};

function device(withText = true) {
  return jsonRouter<Device>(
    {
      click_left: () => ({ value: 'ack' }),
      status: () => ({ state: 'idle' }),
      slow: async ({ ms }) => {
        await new Promise((r) => setTimeout(r, ms));
        return { waited: ms };
      },
      boom: () => {
        throw new Error('it broke');
      },
      refuse: () => {
        throw new JsonCommandError('E_DEVICE_BUSY', 'the device is busy', { retryAfter: 5 });
      },
      rename: ({ name }) => ({ name }),
    },
    { schemas: { rename: nameSchema }, ...(withText ? { text: (cmd: { text: string }) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd') } : {}) },
  );
}

describe('jsonRouter', () => {
  it('answers each JSON command with one line, in order, async handlers included; plain text and ping still work [SRS-054]', async () => {
    const server = await startServer({ handler: device() });
    const c = await connectRaw(server.port);
    c.send('{"cmd":"slow","ms":30}\n{"cmd":"click_left","x":10,"y":20}\nping\ncmd01\n{"cmd":"status"}\n');
    expect(await c.waitLines(5)).toEqual(['{"waited":30}', '{"value":"ack"}', 'pong', 'ack', '{"state":"idle"}']);
  });

  it('unknown commands, bad JSON, bad parameters and handler failures are error answers, and the connection goes on [SRS-054]', async () => {
    const server = await startServer({ handler: device(false) });
    const errors: unknown[] = [];
    server.on('error', (e) => errors.push(e));
    const c = await connectRaw(server.port);
    c.send(['{"cmd":"nope"}', '{"cmd":', '{"x":1}', '[1]', '{"cmd":"rename","name":""}', '{"cmd":"boom"}', '{"cmd":"refuse"}', '{"cmd":"rename","name":" Ada "}', ''].join('\n'));
    const lines = (await c.waitLines(8)).map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { error: { code: 'ERR_ONELINE_UNKNOWN_COMMAND', message: "unknown command 'nope'" } },
      { error: { code: 'ERR_ONELINE_JSON_SYNTAX', message: expect.stringMatching(/^not JSON/) } },
      { error: { code: 'ERR_ONELINE_JSON_NO_COMMAND', message: "a JSON command needs a string 'cmd' field" } },
      { error: { code: 'ERR_ONELINE_JSON_NOT_OBJECT', message: 'a JSON command must be an object, got an array' } },
      { error: { code: 'ERR_ONELINE_BAD_PARAMS', message: "bad parameters for 'rename'", details: [{ message: 'name must be a non-empty string', path: ['name'] }] } },
      { error: { code: 'ERR_ONELINE_COMMAND_FAILED', message: 'it broke' } },
      { error: { code: 'E_DEVICE_BUSY', message: 'the device is busy', details: { retryAfter: 5 } } },
      { name: 'Ada' },
    ]);
    expect(errors).toEqual([]); // answers, not server errors
  });

  it('the command field name is configurable [SRS-054]', async () => {
    const server = await startServer({ handler: jsonRouter<Pick<Device, 'status'>>({ status: () => ({ state: 'up' }) }, { field: 'command' }) });
    const c = await connectRaw(server.port);
    c.send('{"command":"status"}\n{"cmd":"status"}\n');
    const [a, b] = await c.waitLines(2);
    expect(JSON.parse(a!)).toEqual({ state: 'up' });
    expect(JSON.parse(b!)).toMatchObject({ error: { code: 'ERR_ONELINE_JSON_NO_COMMAND' } });
  });

  it('handlers get the connection signal through their context [SRS-054]', async () => {
    let seen: AbortSignal | undefined;
    const server = await startServer({
      handler: jsonRouter<Pick<Device, 'status'>>({
        status: (_p, ctx) => {
          seen = ctx.signal;
          return { state: ctx.name };
        },
      }),
    });
    const c = await connectRaw(server.port);
    c.send('{"cmd":"status"}\n');
    expect(await c.waitLines(1)).toEqual(['{"state":"status"}']);
    expect(seen).toBeInstanceOf(AbortSignal);
  });
});
