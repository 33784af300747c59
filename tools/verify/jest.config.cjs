/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'verify',
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.test.cjs'],
  moduleFileExtensions: ['cjs', 'js', 'json'],
};
