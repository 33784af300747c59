#!/usr/bin/env node
// The JSON sample device server (implementation: dist/device-main.js).
import { main } from '../dist/device-main.js';

process.exitCode = await main(process.argv.slice(2));
