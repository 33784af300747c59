import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { cleanup, startServer, withTimeout } from './test-support/harness.js';

afterEach(cleanup);

const SCRIPT = join(__dirname, 'test-support', 'original_client.py');

function runOriginalClient(port: number, args: string[]): Promise<{ connected: boolean; answers: string[] }> {
  return new Promise((resolve, reject) => {
    execFile('python3', [SCRIPT, String(port), ...args], { timeout: 15000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python client failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as { connected: boolean; answers: string[] });
    });
  });
}

describe('driven by a client that behaves like the Python original', () => {
  it('connects with ping/pong, gets the sample answers, disconnects, and a second run is served too [SRS-013]', async () => {
    const server = await startServer();
    const first = await runOriginalClient(server.port, ['cmd01', 'cmd02', 'ping', 'héllo']);
    expect(first).toEqual({ connected: true, answers: ['ack', 'nak - unknown cmd', 'pong', 'nak - unknown cmd'] });
    const second = await runOriginalClient(server.port, ['cmd01']);
    expect(second).toEqual({ connected: true, answers: ['ack'] });
  });

  it('shutdown from the original client stops the server [SRS-006 SRS-013]', async () => {
    const server = await startServer();
    const out = await runOriginalClient(server.port, ['--end', 'shutdown', 'cmd01']);
    expect(out.answers).toEqual(['ack']);
    await withTimeout(server.closed, 5000, 'server to stop');
    expect(server.running).toBe(false);
  });
});
