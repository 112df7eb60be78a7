#!/usr/bin/env node
// Kept for `npm run bench:rewrite`: the rewrite benchmark is now case 3 of scripts/bench.mjs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('bench.mjs', import.meta.url));
const { status } = spawnSync(process.execPath, [bench, '--only=3', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(status ?? 1);
