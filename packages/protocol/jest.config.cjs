/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'protocol',
  rootDir: __dirname,
  ...require('../../jest.coverage.cjs')({ lines: 95, branches: 90 }),
};
