#!/usr/bin/env node
// Runs the compiled tests with Node's own runner. Node 20 takes no globs, so the files are found here:
// every *.test.js under dist/test, or under the folders given (dist/test/interop is left to
// `npm run test:interop`).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const interop = roots.some((r) => r.includes('interop'));

function find(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'interop' && !interop) continue;
      find(p, out);
    } else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = (roots.length ? roots : ['dist/test']).flatMap((r) =>
  statSync(r).isDirectory() ? find(r, []) : [r],
);
if (files.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', ...flags, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
