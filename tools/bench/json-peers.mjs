// The servers of the JSON benchmark (json.mjs), run by serve.mjs as
// `node serve.mjs json-<impl>` (`json-at <server entry>` for another build of
// ours). Every one serves the same call, `add {a, b} -> {sum}`, the way its
// users write it; every socket has setNoDelay. The clients are in json-load.mjs.
import net from 'node:net';
import readline from 'node:readline';

const add = ({ a, b }) => ({ sum: a + b });

function listen(onSocket) {
  const server = net.createServer({ noDelay: true }, (s) => {
    s.setNoDelay(true);
    s.on('error', () => undefined);
    onSocket(s);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/** Ours: a jsonRouter server, through the public API only (`entry`: another build's server entry). */
async function ours(entry = '@socket-oneline/server') {
  const { OnelineServer, jsonRouter } = await import(entry);
  const server = new OnelineServer({ handler: jsonRouter({ add }) });
  return (await server.listen()).port;
}

/** vscode-jsonrpc over a socket (Content-Length framing), as its README sets it up. */
async function vscode() {
  const rpc = await import('vscode-jsonrpc/node');
  return listen((s) => {
    const conn = rpc.createMessageConnection(new rpc.SocketMessageReader(s), new rpc.SocketMessageWriter(s));
    conn.onRequest('add', add);
    conn.listen();
    s.once('close', () => conn.dispose());
  });
}

/** json-rpc-2.0 over node:readline lines, one write per answer, as its users write it. */
async function jsonRpc2() {
  const { JSONRPCServer } = await import('json-rpc-2.0');
  const server = new JSONRPCServer();
  server.addMethod('add', add);
  return listen((s) => {
    const rl = readline.createInterface({ input: s, crlfDelay: Infinity });
    rl.on('line', (line) => {
      void server.receiveJSON(line).then((res) => {
        if (res !== null) s.write(`${JSON.stringify(res)}\n`);
      });
    });
  });
}

/**
 * The floor: a hand-written NDJSON server with no limits and no checks. One
 * decode per chunk, lines cut from the string, JSON.parse, JSON.stringify,
 * one write per chunk (`ping` answered `pong` and `disconnect` closing, so our client can be paired with it).
 */
function floor() {
  return listen((s) => {
    s.setEncoding('utf8');
    let rest = '';
    s.on('data', (chunk) => {
      const str = rest === '' ? chunk : rest + chunk;
      let start = 0;
      let i;
      let out = '';
      while ((i = str.indexOf('\n', start)) !== -1) {
        const line = str.slice(start, i);
        if (line === 'ping') out += 'pong\n'; // our client's handshake
        else if (line === 'disconnect') s.end(); // and its goodbye
        else {
          const m = JSON.parse(line);
          out += `${JSON.stringify(m.cmd === 'add' ? add(m) : { error: { code: 'UNKNOWN', message: String(m.cmd) } })}\n`;
        }
        start = i + 1;
      }
      rest = start === 0 ? str : str.slice(start);
      if (out !== '') s.write(out);
    });
  });
}

/** serve.mjs kinds: name -> () => Promise<port>. */
export const jsonKinds = {
  'json-ours': () => ours(),
  'json-at': () => ours(process.argv[3]),
  'json-vscode': vscode,
  'json-rpc2': jsonRpc2,
  'json-floor': floor,
};
