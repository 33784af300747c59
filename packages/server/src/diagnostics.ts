/**
 * Observability through `node:diagnostics_channel` (as undici does): tools
 * can watch a server without touching its code or its logger. Messages are
 * published only when a channel has subscribers, so they cost nothing
 * otherwise.
 *
 * | channel | message |
 * | --- | --- |
 * | `socket-oneline:server:connect` | `{ server, client }` |
 * | `socket-oneline:server:disconnect` | `{ server, client, reason }` |
 * | `socket-oneline:server:command` | `{ server, client, command }` |
 * | `socket-oneline:server:busy` | `{ server, remoteAddress, remotePort }` |
 * | `socket-oneline:server:error` | `{ server, error }` |
 */
import diagnostics from 'node:diagnostics_channel';

/** The server's diagnostics channels, by event. */
export const serverChannels = Object.freeze({
  connect: diagnostics.channel('socket-oneline:server:connect'),
  disconnect: diagnostics.channel('socket-oneline:server:disconnect'),
  command: diagnostics.channel('socket-oneline:server:command'),
  busy: diagnostics.channel('socket-oneline:server:busy'),
  error: diagnostics.channel('socket-oneline:server:error'),
});
