#!/usr/bin/env node
// Fills the example sources into the docs, so that the text around an example can never describe code
// that has since changed. A region is
//
//   <!-- include: examples/NAME.ts -->
//   ```ts
//   ...the file's content, written here by this script...
//   ```
//   <!-- /include -->
//
// `node scripts/docs-include.mjs` rewrites every region of docs/*.md and README.md from the files;
// `--check` rewrites nothing and exits 1 naming each stale region (CI runs it through
// test/docs/include.test.ts). The functions are exported for that test.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const OPEN = /^<!-- include: (\S+) -->[ \t]*$/;
const CLOSE = /^<!-- \/include -->[ \t]*$/;

/** The fence language for an included file, from its extension (the docs type-check only ts fences). */
function fenceLang(path) {
  if (/\.(ts|mts|cts)$/.test(path)) return 'ts';
  if (/\.(js|mjs|cjs)$/.test(path)) return 'js';
  if (path.endsWith('.sh')) return 'sh';
  return '';
}

/**
 * Returns `text` with every include region refilled by `read(path)` (a path relative to the repository
 * root), and the regions that differed. Throws on a region left open, a close with no open, or a
 * nested open, naming the line, so that a malformed marker is never silently skipped.
 */
export function fillIncludes(text, read) {
  const lines = text.split('\n');
  const out = [];
  const stale = [];
  // A marker shown inside a fenced block (a doc explaining the convention) is text, not a region.
  let openFence;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const run = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (openFence !== undefined) {
      if (
        run !== undefined &&
        run[0] === openFence[0] &&
        run.length >= openFence.length &&
        line.trim() === run
      )
        openFence = undefined;
      out.push(line);
      continue;
    }
    if (run !== undefined) {
      openFence = run;
      out.push(line);
      continue;
    }
    if (CLOSE.test(line)) throw new Error(`line ${i + 1}: <!-- /include --> without an include`);
    const open = OPEN.exec(line);
    if (open === null) {
      out.push(line);
      continue;
    }
    const path = open[1];
    let end = i + 1;
    while (end < lines.length && !CLOSE.test(lines[end])) {
      if (OPEN.test(lines[end]))
        throw new Error(`line ${end + 1}: an include inside the include of line ${i + 1}`);
      end++;
    }
    if (end === lines.length) throw new Error(`line ${i + 1}: include of ${path} is never closed`);
    let body = read(path);
    if (!body.endsWith('\n')) body += '\n';
    // A fence longer than any run of backticks in the file, so that the file cannot end the fence early.
    const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = '`'.repeat(longest + 1);
    const region = [line, `${fence}${fenceLang(path)}`, ...body.slice(0, -1).split('\n'), fence, lines[end]];
    const before = lines.slice(i, end + 1);
    if (before.join('\n') !== region.join('\n')) stale.push({ line: i + 1, path });
    out.push(...region);
    i = end;
  }
  return { text: out.join('\n'), stale };
}

/** The Markdown files whose includes are kept: README.md and every .md under docs/ (not docs/api/). */
export function docFiles(root) {
  const files = ['README.md'];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (rel !== join('docs', 'api')) walk(rel);
      } else if (entry.name.endsWith('.md')) files.push(rel);
    }
  };
  walk('docs');
  return files.sort();
}

/**
 * Checks (or, with `write`, refreshes) every doc file under `root`. Returns one problem string per
 * stale region or malformed file; an empty list means the docs match the sources.
 */
export function run(root, { write = false } = {}) {
  const problems = [];
  const read = (path) => {
    if (path.startsWith('/') || path.split('/').includes('..'))
      throw new Error(`${path}: not inside the repository`);
    return readFileSync(join(root, path), 'utf8');
  };
  for (const file of docFiles(root)) {
    const text = readFileSync(join(root, file), 'utf8');
    let result;
    try {
      result = fillIncludes(text, read);
    } catch (e) {
      problems.push(`${file}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    if (result.stale.length === 0) continue;
    if (write) {
      writeFileSync(join(root, file), result.text);
      continue;
    }
    for (const s of result.stale) {
      problems.push(`${file}:${s.line}: ${s.path} is not included as it now reads`);
    }
  }
  return problems;
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && relative(process.argv[1], self) === '') {
  const root = join(dirname(self), '..');
  const check = process.argv.includes('--check');
  const problems = run(root, { write: !check });
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    if (check) console.error('run `node scripts/docs-include.mjs` to refresh them');
    process.exit(1);
  }
}
