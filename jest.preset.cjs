// Shared jest settings: TypeScript through @swc/jest (no type checking here:
// the `typecheck` target does that), sibling packages resolved to their
// TypeScript source through the `@socket-oneline/source` export condition.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@socket-oneline/source', 'node', 'require', 'default'],
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  testTimeout: 20000,
  // The default console output, plus test-results/jest-results.json for `npm run verify`.
  reporters: ['default', require('node:path').join(__dirname, 'tools', 'verify', 'jest-reporter.cjs')],
};
