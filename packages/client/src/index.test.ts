import * as protocol from '@socket-oneline/protocol';
import * as api from './index.js';
import { OnelineClient } from './client.js';

describe('the package entry point', () => {
  it('exports the client and re-exports the protocol error and limits, the same objects', () => {
    expect(api.OnelineClient).toBe(OnelineClient);
    expect(api.OnelineError).toBe(protocol.OnelineError);
    expect(api.isOnelineError).toBe(protocol.isOnelineError);
    expect(api.DEFAULT_MAX_LINE_LENGTH).toBe(protocol.DEFAULT_MAX_LINE_LENGTH);
  });
});
