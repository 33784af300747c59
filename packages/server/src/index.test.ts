import * as protocol from '@socket-oneline/protocol';
import * as api from './index.js';
import { serverChannels } from './diagnostics.js';
import { OnelineServer } from './server.js';

describe('the package entry point', () => {
  it('exports the server and re-exports the protocol error and limits, the same objects', () => {
    expect(api.OnelineServer).toBe(OnelineServer);
    expect(api.serverChannels).toBe(serverChannels);
    expect(api.OnelineError).toBe(protocol.OnelineError);
    expect(api.isOnelineError).toBe(protocol.isOnelineError);
    expect(api.DEFAULT_MAX_LINE_LENGTH).toBe(protocol.DEFAULT_MAX_LINE_LENGTH);
  });
});
