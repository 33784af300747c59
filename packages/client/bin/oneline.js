#!/usr/bin/env node
// The `oneline` command. Kept outside dist/ so npm can link it before a build;
// the implementation is dist/cli.js (run `npx nx run client:build`).
import { createRequire } from 'node:module';
import { run } from '../dist/cli.js';

const { version } = createRequire(import.meta.url)('../package.json');
// stdin is looked up lazily: a one-shot command must not open it.
const io = { get stdin() { return process.stdin; }, stdout: process.stdout, stderr: process.stderr, version };
process.exitCode = await run(process.argv.slice(2), io);
