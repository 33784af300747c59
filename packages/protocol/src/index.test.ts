import * as api from './index.js';
import { ClientSession } from './client-session.js';
import { LineDecoder } from './decoder.js';
import { encodeLine } from './encoder.js';
import { OnelineError } from './errors.js';
import { escapeControl } from './logger.js';
import { ServerSession } from './server-session.js';

// The entry point is what users import: it must hand out the very objects the
// modules define (one OnelineError class, so `instanceof` works everywhere).
describe('the package entry point', () => {
  it('exports the public API as the modules define it', () => {
    expect(api.OnelineError).toBe(OnelineError);
    expect(api.LineDecoder).toBe(LineDecoder);
    expect(api.ServerSession).toBe(ServerSession);
    expect(api.ClientSession).toBe(ClientSession);
    expect(api.encodeLine).toBe(encodeLine);
    expect(api.escapeControl).toBe(escapeControl);
    expect(api.DEFAULT_MAX_LINE_LENGTH).toBe(1024 * 1024);
    expect(api.SEGMENT_BYTES).toBe(1024);
    expect(api.BUILTIN_COMMANDS).toEqual(expect.arrayContaining(['ping', 'disconnect', 'shutdown']));
    for (const name of ['isOnelineError', 'resolveDecoderOptions', 'encodeLines', 'nextState', 'compileTable', 'illegalTransition', 'decodeDroppingInvalid', 'resolveLogger'] as const) {
      expect(typeof api[name]).toBe('function');
    }
    expect(api.ONELINE_ERROR_CODES).toContain('ERR_ONELINE_BUSY');
  });
});
