import { expect } from '@jest/globals';
import fc from 'fast-check';
import { decodeJsonAnswer, decodeJsonCommand, encodeJsonCommand, encodeJsonError, encodeJsonResult } from './json.js';

describe('JSON command codec', () => {
  it('encodes the original users\' shape: the command field first, then the parameters [SRS-054]', () => {
    expect(encodeJsonCommand('click_left', { x: 10, y: 20 })).toBe('{"cmd":"click_left","x":10,"y":20}');
    expect(encodeJsonCommand('status', undefined)).toBe('{"cmd":"status"}');
    expect(encodeJsonCommand('status', undefined, { field: 'command' })).toBe('{"command":"status"}');
  });

  it('never emits a raw LF, whatever the strings hold, and decodes back to the same command [SRS-054]', () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string().filter((k) => k !== 'cmd' && k !== '__proto__'), fc.jsonValue()), (name, params) => {
        const line = encodeJsonCommand(name, params);
        expect(line.includes('\n')).toBe(false);
        expect(decodeJsonCommand(line)).toEqual({ name, params: JSON.parse(JSON.stringify(params)) as unknown });
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['not json', 'ERR_ONELINE_JSON_SYNTAX'],
    ['[1,2]', 'ERR_ONELINE_JSON_NOT_OBJECT'],
    ['"cmd"', 'ERR_ONELINE_JSON_NOT_OBJECT'],
    ['null', 'ERR_ONELINE_JSON_NOT_OBJECT'],
    ['{"x":1}', 'ERR_ONELINE_JSON_NO_COMMAND'],
    ['{"cmd":42}', 'ERR_ONELINE_JSON_NO_COMMAND'],
  ])('decoding %j fails with %s', (line, code) => {
    expect(() => decodeJsonCommand(line)).toThrow(expect.objectContaining({ code, origin: 'remote' }));
  });

  it('applies the line limit in bytes on both sides [SRS-054]', () => {
    const params = { s: '\u00e9'.repeat(40) }; // 80 bytes of text, 40 characters
    expect(() => encodeJsonCommand('x', params, { maxLineLength: 60 })).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_LINE_TOO_LONG' }));
    const line = encodeJsonCommand('x', params);
    expect(() => decodeJsonCommand(line, { maxLineLength: 60 })).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_LINE_TOO_LONG' }));
    expect(decodeJsonCommand(line, { maxLineLength: 200 }).name).toBe('x');
  });

  it('refuses parameters that hold the command field, are not an object, or cannot be JSON [SRS-054]', () => {
    expect(() => encodeJsonCommand('a', { cmd: 'b' })).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    expect(() => encodeJsonCommand('a', [1])).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeJsonCommand('a', cyclic)).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
    expect(() => encodeJsonResult(10n)).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION' }));
  });

  it('answers: a result decodes as ok, an error object as an error, undefined as null [SRS-054]', () => {
    expect(decodeJsonAnswer(encodeJsonResult({ value: 'ack' }))).toEqual({ ok: true, result: { value: 'ack' } });
    expect(encodeJsonResult(undefined)).toBe('null');
    const err = encodeJsonError({ code: 'ERR_ONELINE_UNKNOWN_COMMAND', message: "unknown command 'x'" });
    expect(err).toBe('{"error":{"code":"ERR_ONELINE_UNKNOWN_COMMAND","message":"unknown command \'x\'"}}');
    expect(decodeJsonAnswer(err)).toEqual({ ok: false, error: { code: 'ERR_ONELINE_UNKNOWN_COMMAND', message: "unknown command 'x'" } });
    // An object that merely has an error field among others is a result.
    expect(decodeJsonAnswer('{"error":"none","value":1}')).toEqual({ ok: true, result: { error: 'none', value: 1 } });
    expect(decodeJsonAnswer('{"value":1,"error":{"code":"E","message":"m"}}')).toEqual({ ok: true, result: { value: 1, error: { code: 'E', message: 'm' } } });
    // So is an error field that is not an error object, and an array (even one with an error property).
    expect(decodeJsonAnswer('{"error":{"code":1,"message":"m"}}')).toEqual({ ok: true, result: { error: { code: 1, message: 'm' } } });
    expect(decodeJsonAnswer('[{"error":{"code":"E","message":"m"}}]')).toEqual({ ok: true, result: [{ error: { code: 'E', message: 'm' } }] });
    expect(decodeJsonAnswer('{"error":null}')).toEqual({ ok: true, result: { error: null } });
    expect(() => decodeJsonAnswer('ack')).toThrow(expect.objectContaining({ code: 'ERR_ONELINE_JSON_SYNTAX' }));
  });
});
