#!/usr/bin/env node
// `npm run verify`: runs every jest suite through Nx (a suite whose inputs did
// not change is replayed from Nx's cache, which restores the results and
// coverage files it wrote), then writes the verification report to
// verify-report/ (report.md and index.html, git-ignored) and prints one
// summary line. Exits 1 if a requirement has no passing test, a test names an
// id srs.json lacks, a test failed, a suite left no results, or coverage is
// under its threshold.
// Usage: node tools/verify/verify.mjs [--no-run]   (--no-run: report on the results already on disk)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { analyse, checkSrs, renderHtml, renderMarkdown, stripAnsi, summaryLine } = require('./lib.cjs');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'verify-report');
const run = !process.argv.includes('--no-run');

/** Every project with a jest config: packages/* and tools/*. */
function jestProjects() {
  const found = [];
  for (const parent of ['packages', 'tools']) {
    for (const name of readdirSync(join(root, parent)).sort()) {
      const dir = join(root, parent, name);
      if (existsSync(join(dir, 'jest.config.cjs'))) found.push(dir);
    }
  }
  return found;
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const projects = jestProjects();
const resultsFile = (dir) => join(dir, 'test-results', 'jest-results.json');

let nxStatus = 0;
if (run) {
  // Old results must not stand in for a suite that fails to run now.
  for (const dir of projects) rmSync(resultsFile(dir), { force: true });
  const nx = spawnSync('npx', ['nx', 'run-many', '-t', 'test', '--outputStyle=static'], { cwd: root, stdio: 'inherit' });
  nxStatus = nx.status ?? 1;
}

let srs;
let srsProblems;
try {
  srs = readJson(join(root, 'srs.json'));
  srsProblems = checkSrs(srs);
} catch (err) {
  srs = [];
  srsProblems = [`srs.json: ${err.message}`];
}
if (srsProblems.length > 0) srs = Array.isArray(srs) ? srs.filter((r) => typeof r?.id === 'string') : [];

const suites = projects.map((dir) => {
  const project = relative(root, dir).split('\\').join('/');
  const file = resultsFile(dir);
  if (!existsSync(file)) return { project, error: `no ${relative(root, file)}: the suite did not run or crashed before reporting` };
  return { project, results: readJson(file) };
});

const coverage = [];
for (const dir of projects) {
  const config = require(join(dir, 'jest.config.cjs'));
  if (!config.collectCoverage) continue;
  const project = relative(root, dir).split('\\').join('/');
  const threshold = config.coverageThreshold?.global ?? {};
  const file = join(dir, config.coverageDirectory ?? 'coverage', 'coverage-summary.json');
  coverage.push(existsSync(file) ? { project, summary: readJson(file), threshold } : { project, threshold, error: `no ${relative(root, file)}` });
}

const a = analyse(srs, suites, coverage);
for (const p of srsProblems) a.failures.unshift({ kind: 'srs', where: 'srs.json', message: p });
if (nxStatus !== 0 && a.failures.length === 0) a.failures.push({ kind: 'suite', where: 'nx run-many -t test', message: `exited with status ${nxStatus}` });
a.ok = a.failures.length === 0;

const git = (args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? 'unknown';
const runs = suites
  .filter((s) => s.results)
  .map((s) => `${s.project}: ${s.results.startTime} on Node ${s.results.environment.node} (${s.results.environment.platform}-${s.results.environment.arch})`);
const env = [
  ['date', new Date().toISOString()],
  ['OS', `${os.type()} ${os.release()} (${process.platform}-${process.arch})`],
  ['Node.js', process.version],
  ['CPU', `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`],
  ['commit', `${git(['rev-parse', 'HEAD'])}${git(['status', '--porcelain']) === '' ? '' : ' (with uncommitted changes)'}`],
  ['suites run', runs.join('; ') || 'none'],
];

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'report.md'), renderMarkdown(a, env));
writeFileSync(join(outDir, 'index.html'), renderHtml(a, env));
for (const f of a.failures.slice(0, 20)) console.log(`verify: failing check: ${f.kind}: ${f.where}: ${stripAnsi(f.message).split('\n').find((l) => l.trim() !== '') ?? ''}`);
console.log(`verify: report written to ${relative(root, join(outDir, 'index.html'))} and ${relative(root, join(outDir, 'report.md'))}`);
console.log(summaryLine(a));
process.exitCode = a.ok ? 0 : 1;
