/**
 * Observability through `node:diagnostics_channel`, named like the server's
 * (`socket-oneline:server:*`). Messages are built only when a channel has
 * subscribers, so they cost nothing otherwise.
 *
 * | channel | message |
 * | --- | --- |
 * | `socket-oneline:client:connect` | `{ client, server }` |
 * | `socket-oneline:client:command` | `{ client, command }` (a request or `send()` was written) |
 * | `socket-oneline:client:answer` | `{ client, command, lines }` (a request got its whole answer) |
 * | `socket-oneline:client:timeout` | `{ client, command, timeout }` (`command` undefined for `recv()`) |
 * | `socket-oneline:client:realign` | `{ client, phase: 'start' \| 'done', reason }` (`reason`: the error that started it) |
 * | `socket-oneline:client:close` | `{ client, error }` (`error` undefined for a clean close) |
 */
import diagnostics from 'node:diagnostics_channel';

/** The client's diagnostics channels, by event. */
export const clientChannels = Object.freeze({
  connect: diagnostics.channel('socket-oneline:client:connect'),
  command: diagnostics.channel('socket-oneline:client:command'),
  answer: diagnostics.channel('socket-oneline:client:answer'),
  timeout: diagnostics.channel('socket-oneline:client:timeout'),
  realign: diagnostics.channel('socket-oneline:client:realign'),
  close: diagnostics.channel('socket-oneline:client:close'),
});
