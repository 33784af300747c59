// A jest reporter that writes the run's results as JSON next to the project
// (test-results/jest-results.json) for `npm run verify`: every test with its
// full name, status and failure messages, plus where and when it ran. Listed
// in jest.preset.cjs, so every suite run (npm test, nx, jest alone) leaves one.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const os = require('node:os');

const repoRoot = join(__dirname, '..', '..');

class VerifyJsonReporter {
  /** @param {import('@jest/reporters').Config.GlobalConfig} globalConfig */
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  /**
   * @param {unknown} _contexts
   * @param {import('@jest/reporters').AggregatedResult} results
   */
  onRunComplete(_contexts, results) {
    const g = this.globalConfig;
    const out = {
      project: relative(repoRoot, g.rootDir).split('\\').join('/'),
      // A run narrowed to some files or names is not a full verification run.
      partial: (g.testPathPatterns?.patterns?.length ?? 0) > 0 || Boolean(g.testNamePattern),
      startTime: new Date(results.startTime).toISOString(),
      environment: { node: process.version, platform: process.platform, arch: process.arch, os: `${os.type()} ${os.release()}` },
      // `results.success` is settled only after reporters run; count for ourselves.
      success: results.numFailedTests === 0 && results.numRuntimeErrorTestSuites === 0,
      numPassedTests: results.numPassedTests,
      numFailedTests: results.numFailedTests,
      numPendingTests: results.numPendingTests,
      files: results.testResults.map((f) => ({
        file: relative(repoRoot, f.testFilePath).split('\\').join('/'),
        // A suite that failed to run at all (syntax error, failing hook) has no tests.
        failureMessage: f.testExecError ? String(f.testExecError.message) : f.failureMessage && f.numFailingTests === 0 ? f.failureMessage : null,
        tests: f.testResults.map((t) => ({
          fullName: t.fullName,
          title: t.title,
          ancestorTitles: t.ancestorTitles,
          status: t.status,
          duration: t.duration ?? null,
          failureMessages: t.failureMessages,
        })),
      })),
    };
    const dir = join(g.rootDir, 'test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'jest-results.json'), `${JSON.stringify(out, null, 1)}\n`);
  }
}

module.exports = VerifyJsonReporter;
