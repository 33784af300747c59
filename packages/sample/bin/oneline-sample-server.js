#!/usr/bin/env node
// The sample server command (implementation: dist/server-main.js; build with `npx nx run sample:build`).
import { main } from '../dist/server-main.js';

process.exitCode = await main(process.argv.slice(2));
