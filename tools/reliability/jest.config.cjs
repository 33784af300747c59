/** @type {import('jest').Config} */
module.exports = { ...require('../../jest.preset.cjs'), displayName: 'reliability', rootDir: __dirname, testTimeout: 60000 };
