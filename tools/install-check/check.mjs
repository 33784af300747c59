#!/usr/bin/env node
// Install check: `npm pack` each publishable package, inspect the tarballs,
// install them into a fresh folder outside the workspace (no workspace links)
// together with what a consumer brings (jest, typescript, @types/node), and
// there run, as a user would:
//   (a) an ESM script and (b) a CommonJS script, each starting a server and a
//       client and getting `pong`;
//   (c) a default Jest 30 project (CommonJS, no config) whose test requires
//       the packages;
//   (d) tsc with the tsconfig `tsc --init` writes (no `types` entry: TS 6
//       loads no @types by itself) on an ESM and a CommonJS consumer file,
//       once as generated (skipLibCheck on) and once checking our .d.ts too.
// (a) to (c) run on this `node` and on every `--node BIN` given (the runtime
// matrix passes its Node binaries). Exits non-zero with every reason found.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGES = ['protocol', 'server', 'client'];
const work = mkdtempSync(join(tmpdir(), 'oneline-install-check-'));
const problems = [];
const say = (s) => console.log(`install-check: ${s}`);

// Extra Node binaries to run the consumer scripts and the Jest project with.
const nodes = [process.execPath];
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--node' && process.argv[i + 1]) nodes.push(resolve(process.argv[++i]));
  else throw new Error(`unknown argument ${process.argv[i]} (usage: check.mjs [--node BIN]...)`);
}

function run(cmd, args, cwd, extraEnv = {}) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...extraEnv } });
}

/** Runs one named step; a failure is recorded with its output and the next step still runs. */
function step(name, fn) {
  try {
    const note = fn();
    say(`${name}: ok${note ? ` (${note})` : ''}`);
  } catch (err) {
    problems.push(`${name} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}${err.stdout || err.stderr ? '' : String(err?.stack ?? err)}`);
  }
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

/**
 * The README is shown on the registry page, where relative links break: every
 * link must be absolute (or an in-page anchor), and links into this repository
 * must use package.json's repository URL and name a file that exists.
 */
function readmeLinkProblems(name, pkg, text) {
  const found = [];
  const base = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (target.startsWith('#')) continue;
    if (!/^https?:\/\//.test(target)) {
      found.push(`${name}: README link ${target} is relative (broken on the registry page)`);
      continue;
    }
    const inRepo = target.match(/^https?:\/\/[^/]+\/[^/]+\/(?:blob|tree)\/main\/([^#?]*)/);
    if (target.startsWith(base)) {
      if (!inRepo || !existsSync(join(root, inRepo[1]))) found.push(`${name}: README link ${target} names no file of this repository`);
    } else if (inRepo) {
      found.push(`${name}: README link ${target} does not start with the repository URL ${base}`);
    }
  }
  return found;
}

/** The version the workspace itself uses, so the consumer's install is served from npm's cache. */
function workspaceVersion(name) {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

const ESM_SCRIPT = `import { OnelineServer } from '@socket-oneline/server';
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
`;

const CJS_SCRIPT = `// The CommonJS build, not require(esm) of the ESM one.
for (const name of ['protocol', 'server', 'client']) {
  const path = require.resolve('@socket-oneline/' + name);
  if (!path.endsWith('/dist/cjs/index.js')) throw new Error(name + ' resolved to ' + path);
}
const { OnelineServer } = require('@socket-oneline/server');
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
`;

// A test file as a Jest user writes it: CommonJS, default config (no transform settings).
const JEST_TEST = `const { OnelineServer } = require('@socket-oneline/server');
const { OnelineClient, isOnelineError } = require('@socket-oneline/client');
const { LineDecoder, encodeLine } = require('@socket-oneline/protocol');

let server;
let client;
afterEach(async () => {
  client?.destroy();
  if (server?.running) await server.close();
});

test('a server and a client from the packed packages answer ping and cmd01', async () => {
  server = new OnelineServer({ handler: (cmd) => (cmd.text === 'cmd01' ? 'ack' : 'nak - unknown cmd') });
  const { port } = await server.listen();
  client = new OnelineClient({ port });
  await client.connect();
  const lines = await Promise.all([client.request('ping'), client.request('cmd01'), client.request('cmd99')]);
  expect(lines.map(([line]) => line.text)).toEqual(['pong', 'ack', 'nak - unknown cmd']);
});

test('errors carry their code across the CommonJS entry points', () => {
  client = new OnelineClient({ port: 1 });
  let caught;
  try { client.send('x'); } catch (e) { caught = e; }
  expect(isOnelineError(caught, 'ERR_ONELINE_NOT_CONNECTED')).toBe(true);
  expect(new LineDecoder().push(encodeLine('héllo')).map((e) => e.text)).toEqual(['héllo']);
});
`;

// Consumer TypeScript against the public types. \`Buffer\` and \`.on\` need
// @types/node, which our declarations must pull in themselves.
const TS_BODY = `
const options: OnelineServerOptions = { handler: (cmd: Command) => (cmd.invalid ? \`bad \${cmd.reason ?? ''}\` : 'ack'), idleTimeout: 0 };
const server = new OnelineServer(options);
server.on('disconnect', (_client, reason: DisconnectReason) => void reason);
const client = new OnelineClient({ port: 5000, timeout: 100 });
client.on('close', () => undefined);
const lines: Promise<ResponseLine[]> = client.request('cmd01', { barrier: true });
void lines;
const code: OnelineErrorCode = 'ERR_ONELINE_BUSY';
const e: unknown = null;
if (isOnelineError(e, code)) console.log(e.code satisfies OnelineErrorCode);
const events: DecoderEvent[] = new LineDecoder({ maxLineLength: 10 }).push(encodeLine('ping'));
const bytes: Buffer = Buffer.from('ping\\n');
new ServerSession().receive(bytes);
void events;
`;
const TS_ESM = `import { OnelineServer, type Command, type OnelineServerOptions, type DisconnectReason } from '@socket-oneline/server';
import { OnelineClient, type ResponseLine, type OnelineErrorCode, isOnelineError } from '@socket-oneline/client';
import { LineDecoder, encodeLine, ServerSession, type DecoderEvent } from '@socket-oneline/protocol';
${TS_BODY}`;
const TS_CJS = `import server_ = require('@socket-oneline/server');
import client_ = require('@socket-oneline/client');
import protocol_ = require('@socket-oneline/protocol');
const { OnelineServer } = server_;
const { OnelineClient, isOnelineError } = client_;
const { LineDecoder, encodeLine, ServerSession } = protocol_;
type Command = server_.Command;
type OnelineServerOptions = server_.OnelineServerOptions;
type DisconnectReason = server_.DisconnectReason;
type ResponseLine = client_.ResponseLine;
type OnelineErrorCode = client_.OnelineErrorCode;
type DecoderEvent = protocol_.DecoderEvent;
${TS_BODY}`;

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
    for (const need of ['dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'README.md', 'LICENSE']) {
      if (!files.includes(need)) problems.push(`${name}: the tarball lacks ${need}`);
    }
    problems.push(...readmeLinkProblems(name, pkg, readFileSync(join(dir, 'README.md'), 'utf8')));
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

  // 2. Install into a fresh folder outside the workspace: a default CommonJS
  //    package (no "type"), as `npm init` makes it.
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'oneline-install-check-app', version: '1.0.0', private: true, scripts: { test: 'jest' } }, null, 2));
  const consumerDeps = ['jest', 'typescript', '@types/node'].map((n) => `${n}@${workspaceVersion(n)}`);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, ...consumerDeps], app);
  for (const name of PACKAGES) {
    const installed = join(app, 'node_modules', '@socket-oneline', name);
    if (!existsSync(join(installed, 'package.json'))) problems.push(`${name}: not installed`);
    // A real folder, not a link back into the workspace.
    else if (lstatSync(installed).isSymbolicLink()) problems.push(`${name}: installed as a link`);
  }
  if (problems.length > 0) throw new Error('install problems');

  writeFileSync(join(app, 'esm.mjs'), ESM_SCRIPT);
  writeFileSync(join(app, 'cjs.cjs'), CJS_SCRIPT);
  writeFileSync(join(app, 'oneline.test.js'), JEST_TEST);

  // 3. The consumer scripts and the Jest project on every Node given.
  for (const node of nodes) {
    const version = run(node, ['--version'], app).trim();
    step(`node ${version}: ESM script (import)`, () => {
      const out = run(node, ['esm.mjs'], app).trim();
      if (out !== 'pong ack') throw new Error(`printed ${JSON.stringify(out)}, expected "pong ack"`);
      return out;
    });
    step(`node ${version}: CommonJS script (require)`, () => {
      const out = run(node, ['cjs.cjs'], app).trim();
      if (out !== 'pong') throw new Error(`printed ${JSON.stringify(out)}, expected "pong"`);
      return out;
    });
    step(`node ${version}: default Jest 30 project (CommonJS)`, () => {
      // Jest prints its summary on stderr.
      const res = spawnSync(node, [join('node_modules', 'jest', 'bin', 'jest.js'), '--ci'], {
        cwd: app,
        encoding: 'utf8',
        env: { ...process.env, FORCE_COLOR: '0' },
      });
      if (res.status !== 0) throw Object.assign(new Error(`jest exited ${res.status}`), { stdout: res.stdout, stderr: res.stderr });
      return (res.stderr.split('\n').find((l) => l.startsWith('Tests:')) ?? '').replace(/\s+/g, ' ');
    });
  }

  // 4. tsc as a consumer runs it: the tsconfig `tsc --init` writes, ESM and CommonJS.
  const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [kind, type, source] of [
    ['ESM', 'module', TS_ESM],
    ['CommonJS', 'commonjs', TS_CJS],
  ]) {
    const dir = join(app, `ts-${type}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `ts-${type}`, private: true, type }, null, 2));
    writeFileSync(join(dir, 'check.ts'), source);
    run(process.execPath, [tsc, '--init'], dir);
    const generated = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
    if (/^\s*"types"\s*:\s*\[\s*"node"/m.test(generated)) problems.push('tsc --init now writes "types": ["node"]; this check would prove nothing');
    step(`tsc (${kind} consumer, tsconfig from tsc --init, no "types")`, () => {
      run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit', '--pretty', 'false'], dir);
    });
    step(`tsc (${kind} consumer, our declarations checked too: --skipLibCheck false)`, () => {
      run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit', '--pretty', 'false', '--skipLibCheck', 'false'], dir);
    });
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
