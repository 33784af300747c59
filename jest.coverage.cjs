// Coverage settings for the published packages (protocol, server, client):
// V8 coverage (the swc transform does not instrument), thresholds that fail
// the jest run, and a JSON summary that `npm run verify` puts in its report.
/**
 * @param {{ lines: number, branches?: number }} threshold minimum percentages
 * @returns {import('jest').Config}
 */
module.exports = (threshold) => ({
  collectCoverage: true,
  coverageProvider: 'v8',
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.test.ts', '!src/test-support/**'],
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'json-summary'],
  coverageThreshold: { global: threshold },
});
