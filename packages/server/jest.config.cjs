/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'server',
  rootDir: __dirname,
  ...require('../../jest.coverage.cjs')({ lines: 90 }),
};
