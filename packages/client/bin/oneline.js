#!/usr/bin/env node
// The `oneline` command. Kept outside dist/ so npm can link it before a build;
// the implementation is dist/cli.js (run `npx nx run client:build`).
import { run } from '../dist/cli.js';

process.exitCode = await run(process.argv.slice(2), process);
