#!/usr/bin/env node
// `npx nx run sample:json`: the JSON story (implementation: dist/json-story.js).
import { main } from '../dist/json-story.js';

process.exitCode = await main();
