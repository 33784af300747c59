#!/usr/bin/env node
// Fetches (once) every runtime of the CI matrix into the cache and prints
// where each binary is. Usage: node tools/runtimes/fetch.mjs
import { execFileSync } from 'node:child_process';
import { NODE_MAJORS, cacheDir, fetchBun, fetchDeno, fetchNode } from './runtimes.mjs';

console.log(`runtimes cache: ${cacheDir()}`);
for (const rt of [...NODE_MAJORS.map(fetchNode), fetchBun(), fetchDeno()]) {
  const version = execFileSync(rt.bin, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0];
  console.log(`${rt.fetched ? 'fetched' : 'cached '} ${rt.name.padEnd(10)} ${version.padEnd(22)} ${rt.bin}`);
}
