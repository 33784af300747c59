#!/usr/bin/env node
// `npx nx run sample:doit`: the sample story (implementation: dist/doit.js).
import { main } from '../dist/doit.js';

process.exitCode = await main();
