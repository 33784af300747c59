// The floor: a minimal hand-written node:net line server (indexOf loop, no
// limits, no checks, no ordering machinery). Answers ping with pong and any
// other line with ack. What a Node program can do at best, for comparison.
import net from 'node:net';

export function startFloorServer() {
  const server = net.createServer({ noDelay: true }, (s) => {
    let rest = null;
    s.on('data', (chunk) => {
      const buf = rest === null ? chunk : Buffer.concat([rest, chunk]);
      let start = 0;
      let i;
      let out = '';
      while ((i = buf.indexOf(10, start)) !== -1) {
        out += buf.toString('utf8', start, i) === 'ping' ? 'pong\n' : 'ack\n';
        start = i + 1;
      }
      rest = start < buf.length ? buf.subarray(start) : null;
      if (out !== '') s.write(out);
    });
    s.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port })));
}
