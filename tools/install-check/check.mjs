#!/usr/bin/env node
// Install check: `npm pack` each publishable package, inspect the tarballs,
// install them into a fresh folder outside the workspace (no workspace links)
// and there run (a) an ESM script, (b) a CommonJS script, each starting a
// server and a client and getting `pong`, and (c) tsc on a TypeScript file
// that uses the public types. Exits non-zero with a reason on any failure.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGES = ['protocol', 'server', 'client'];
const work = mkdtempSync(join(tmpdir(), 'oneline-install-check-'));
const problems = [];
const say = (s) => console.log(`install-check: ${s}`);

function run(cmd, args, cwd, extraEnv = {}) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extraEnv } });
}

/** Does `path` match one of package.json `files` patterns (simple globs used here)? */
function allowedByFiles(path, files) {
  const always = /^(package\.json|README(\..*)?|LICENSE(\..*)?|CHANGELOG(\..*)?)$/i;
  if (always.test(path)) return true;
  let ok = false;
  for (const pattern of files) {
    const neg = pattern.startsWith('!');
    const p = neg ? pattern.slice(1) : pattern;
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}(?:/.*)?$`);
    if (re.test(path)) ok = !neg;
  }
  return ok;
}

try {
  // 1. Pack and inspect.
  const tarballs = [];
  for (const name of PACKAGES) {
    const dir = join(root, 'packages', name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], dir));
    const files = info.files.map((f) => f.path);
    tarballs.push(join(work, info.filename));
    say(`${info.filename}: ${files.length} files, ${(info.size / 1024).toFixed(1)} KiB`);
    for (const f of files) {
      if (/(^|\/)(test-support|__tests__)(\/|$)|\.test\.[cm]?[jt]s(\.map)?$|\.spec\./.test(f)) problems.push(`${name}: the tarball holds a test file: ${f}`);
      if (!allowedByFiles(f, pkg.files)) problems.push(`${name}: ${f} is outside package.json "files"`);
    }
    for (const need of ['dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE']) {
      if (!files.includes(need)) problems.push(`${name}: the tarball lacks ${need}`);
    }
    // Source maps must point only at files the tarball holds.
    for (const f of files.filter((x) => x.endsWith('.map'))) {
      const map = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      for (const src of map.sources ?? []) {
        const target = normalize(join(dirname(f), src));
        if (!files.includes(target)) problems.push(`${name}: ${f} points at ${target}, which the tarball lacks`);
      }
    }
  }
  if (problems.length > 0) throw new Error('tarball problems');

  // 2. Install into a fresh folder outside the workspace.
  const app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'oneline-install-check-app', version: '1.0.0', private: true }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], app);
  for (const name of PACKAGES) {
    const installed = join(app, 'node_modules', '@socket-oneline', name);
    if (!existsSync(join(installed, 'package.json'))) problems.push(`${name}: not installed`);
    // A real folder, not a link back into the workspace.
    if (lstatSync(installed).isSymbolicLink()) problems.push(`${name}: installed as a link`);
  }

  // 3a. ESM.
  writeFileSync(
    join(app, 'esm.mjs'),
    `import { OnelineServer } from '@socket-oneline/server';
import { OnelineClient } from '@socket-oneline/client';
const server = new OnelineServer({ handler: (cmd) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd') });
const { port } = await server.listen();
const client = new OnelineClient({ port });
await client.connect();
const [pong] = await client.request('ping');
const [ack] = await client.request('cmd01');
await client.shutdown();
await server.closed;
console.log(pong.text, ack.text);
`,
  );
  const esm = run('node', ['esm.mjs'], app).trim();
  if (esm !== 'pong ack') problems.push(`ESM script printed ${JSON.stringify(esm)}, expected "pong ack"`);
  else say('ESM script: pong ack');

  // 3b. CommonJS (require of the ESM packages, supported by Node >= 20.19).
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const { OnelineServer } = require('@socket-oneline/server');
const { OnelineClient, isOnelineError } = require('@socket-oneline/client');
(async () => {
  const server = new OnelineServer({ handler: () => 'ack' });
  const { port } = await server.listen();
  const client = new OnelineClient({ port });
  await client.connect();
  const [pong] = await client.request('ping');
  try { client.send('a\\nb'); } catch (e) { if (!isOnelineError(e, 'ERR_ONELINE_LF_IN_PAYLOAD')) throw e; }
  await client.shutdown();
  await server.closed;
  console.log(pong.text);
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  const cjs = run('node', ['--no-warnings', 'cjs.cjs'], app).trim();
  if (cjs !== 'pong') problems.push(`CommonJS script printed ${JSON.stringify(cjs)}, expected "pong"`);
  else say('CommonJS script: pong');

  // 3c. TypeScript against the public types (the workspace's tsc and @types/node).
  writeFileSync(
    join(app, 'check.ts'),
    `import { OnelineServer, type Command, type OnelineServerOptions, type DisconnectReason } from '@socket-oneline/server';
import { OnelineClient, type ResponseLine, type OnelineErrorCode, isOnelineError } from '@socket-oneline/client';
import { LineDecoder, encodeLine, ServerSession, type DecoderEvent } from '@socket-oneline/protocol';

const options: OnelineServerOptions = { handler: (cmd: Command) => (cmd.invalid ? \`bad \${cmd.reason ?? ''}\` : 'ack'), idleTimeout: 0 };
const server = new OnelineServer(options);
server.on('disconnect', (_client, reason: DisconnectReason) => void reason);
const client = new OnelineClient({ port: 5000, timeout: 100 });
const lines: Promise<ResponseLine[]> = client.request('cmd01', { barrier: true });
void lines;
const code: OnelineErrorCode = 'ERR_ONELINE_BUSY';
const e: unknown = null;
if (isOnelineError(e, code)) console.log(e.code satisfies OnelineErrorCode);
const events: DecoderEvent[] = new LineDecoder({ maxLineLength: 10 }).push(encodeLine('ping'));
new ServerSession().receive(Buffer.from('ping\\n'));
void events;
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: ['check.ts'],
      },
      null,
      2,
    ),
  );
  writeFileSync(join(app, 'package.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')), type: 'module' }, null, 2));
  try {
    run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);
    say('tsc on a TypeScript file using the public types: ok');
  } catch (err) {
    problems.push(`tsc failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
} catch (err) {
  if (problems.length === 0) problems.push(String(err?.stack ?? err));
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  for (const p of problems) console.error(`install-check: FAIL: ${p}`);
  process.exit(1);
}
say('all checks passed');
