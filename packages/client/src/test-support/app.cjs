'use strict';
// A stand-in "program under test" for launch() tests: a minimal oneline server on node:net
// (ping -> pong, cmd01 -> ack, disconnect, shutdown), with misbehaviours chosen by flags:
//   --port N         listen on N (default 0, a free one)
//   --delay MS       wait before listening (a slow start)
//   --exit N         print two lines on stderr, then exit with code N before listening
//   --never-ready    print a line, never listen, stay alive
//   --flood BYTES    write BYTES to stdout (in 64 KiB writes) before listening
//   --ignore-term    ignore SIGTERM
//   --ignore-shutdown answer nothing to shutdown (and stay up)
//   --stay           keep running after shutdown (the listener closes, the process does not exit)
//   --spawn-helper   start a helper process in the same group that ignores SIGTERM; print its pid
// Prints `listening on 127.0.0.1:PORT` on stdout once it listens. The command `spew` writes
// 8 MiB to stdout (waiting for the pipe to drain), then answers `done`.
const net = require('node:net');
const { spawn } = require('node:child_process');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, dflt) => {
  const i = argv.indexOf(name);
  return i === -1 ? dflt : argv[i + 1];
};
// Never outlive a test run, whatever a test does.
setTimeout(() => process.exit(99), 60_000).unref();

if (flag('--stay')) setInterval(() => {}, 1000);
if (flag('--ignore-term')) process.on('SIGTERM', () => console.error('SIGTERM ignored'));
if (flag('--spawn-helper')) {
  // It inherits our stdout and stderr: it holds the pipes open after we exit.
  const helper = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); setTimeout(() => process.exit(98), 60000)"], { stdio: ['ignore', 'inherit', 'inherit'] });
  console.log(`helper ${helper.pid}`);
}

function serve() {
  const server = net.createServer((sock) => {
    let buf = '';
    sock.on('error', () => {});
    sock.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'ping') sock.write('pong\n');
        else if (line === 'disconnect') sock.end();
        else if (line === 'shutdown') {
          if (flag('--ignore-shutdown')) continue;
          sock.end();
          server.close();
          if (!flag('--stay')) sock.once('close', () => process.exit(0));
        } else if (line === 'spew') flood(8 * 1024 * 1024, () => sock.write('done\n'));
        else sock.write(line === 'cmd01' ? 'ack\n' : 'nak - unknown cmd\n');
      }
    });
  });
  server.listen(Number(value('--port', '0')), '127.0.0.1', () => {
    console.log(`listening on 127.0.0.1:${server.address().port}`);
  });
}

function flood(bytes, then) {
  const block = Buffer.alloc(65536, 'x');
  let left = bytes;
  const more = () => {
    while (left > 0) {
      const n = Math.min(left, block.length);
      left -= n;
      if (!process.stdout.write(block.subarray(0, n))) return process.stdout.once('drain', more);
    }
    process.stdout.write('\n');
    then();
  };
  more();
}

if (argv.includes('--exit')) {
  console.error('starting up');
  console.error('fatal: no display available');
  process.exitCode = Number(value('--exit'));
} else if (flag('--never-ready')) {
  console.log('loading plugins...');
  setInterval(() => {}, 1000);
} else {
  const start = () => setTimeout(serve, Number(value('--delay', '0')));
  const bytes = Number(value('--flood', '0'));
  if (bytes > 0) flood(bytes, start);
  else start();
}
