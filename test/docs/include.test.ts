/**
 * scripts/docs-include.mjs: the example sources included in the docs match the files, a stale or
 * malformed include fails the check, and a refresh makes it pass.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root, from dist/test/docs/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'docs-include.mjs');

interface Filled {
  text: string;
  stale: { line: number; path: string }[];
}
interface IncludeScript {
  fillIncludes(text: string, read: (path: string) => string): Filled;
  run(root: string, options?: { write?: boolean }): string[];
}
const script = (await import(pathToFileURL(SCRIPT).href)) as IncludeScript;

const FENCE = '```';
const region = (path: string, body: string): string =>
  `<!-- include: ${path} -->\n${FENCE}ts\n${body}${FENCE}\n<!-- /include -->`;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('every include in README.md and docs/ matches its source file', () => {
  assert.deepEqual(script.run(ROOT), []);
});

test('a region whose file changed is stale, and filling it rewrites only the region', () => {
  const files: Record<string, string> = { 'examples/a.ts': 'const a = 1;\n' };
  const doc = `# Title\n\nbefore\n\n${region('examples/a.ts', 'const a = 0;\n')}\n\nafter\n`;
  const first = script.fillIncludes(doc, (p) => files[p] as string);
  assert.deepEqual(first.stale, [{ line: 5, path: 'examples/a.ts' }]);
  assert.equal(first.text, `# Title\n\nbefore\n\n${region('examples/a.ts', 'const a = 1;\n')}\n\nafter\n`);
  // Filled once, it is fresh: a second pass changes nothing.
  const second = script.fillIncludes(first.text, (p) => files[p] as string);
  assert.deepEqual(second.stale, []);
  assert.equal(second.text, first.text);
});

test('an empty region is filled, and a file with a fence inside gets a longer fence', () => {
  const body = 'const s = `a ``` b`;\n';
  const out = script.fillIncludes('<!-- include: x.ts -->\n<!-- /include -->\n', () => body);
  assert.deepEqual(out.stale, [{ line: 1, path: 'x.ts' }]);
  assert.equal(out.text, `<!-- include: x.ts -->\n\`\`\`\`ts\n${body}\`\`\`\`\n<!-- /include -->\n`);
});

test('markers inside a fenced block are text, left alone', () => {
  const doc = `~~~md\n<!-- include: x.ts -->\n<!-- /include -->\n~~~\n\n${FENCE}\n<!-- /include -->\n${FENCE}\n`;
  const out = script.fillIncludes(doc, () => {
    throw new Error('nothing should be read');
  });
  assert.deepEqual(out, { text: doc, stale: [] });
});

test('malformed markers are errors naming the line, never skipped', () => {
  const read = (): string => 'x\n';
  assert.throws(
    () => script.fillIncludes('a\n<!-- include: x.ts -->\n```ts\n', read),
    /line 2: .*never closed/,
  );
  assert.throws(() => script.fillIncludes('<!-- /include -->\n', read), /line 1: .*without an include/);
  assert.throws(
    () => script.fillIncludes('<!-- include: x.ts -->\n<!-- include: y.ts -->\n<!-- /include -->\n', read),
    /line 2: an include inside/,
  );
});

test('the command: --check fails on a stale include and names it; a refresh makes it pass', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docs-include-'));
  dirs.push(dir);
  for (const sub of ['scripts', 'docs', 'examples']) mkdirSync(join(dir, sub));
  copyFileSync(SCRIPT, join(dir, 'scripts', 'docs-include.mjs'));
  writeFileSync(join(dir, 'README.md'), '# readme\n');
  writeFileSync(join(dir, 'examples', 'hello.ts'), "console.log('hello');\n");
  const doc = join(dir, 'docs', 'guide.md');
  writeFileSync(doc, `# guide\n\n${region('examples/hello.ts', "console.log('old');\n")}\n`);
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(dir, 'scripts', 'docs-include.mjs'), ...args], { encoding: 'utf8' });

  const stale = cli('--check');
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /docs\/guide\.md:3: examples\/hello\.ts is not included as it now reads/);
  assert.match(readFileSync(doc, 'utf8'), /old/, '--check must not write');

  assert.equal(cli().status, 0);
  assert.equal(
    readFileSync(doc, 'utf8'),
    `# guide\n\n${region('examples/hello.ts', "console.log('hello');\n")}\n`,
  );
  assert.equal(cli('--check').status, 0);

  // A path out of the repository is refused rather than read.
  writeFileSync(doc, `${region('../secret.ts', '')}\n`);
  const outside = cli('--check');
  assert.equal(outside.status, 1);
  assert.match(outside.stderr, /not inside the repository/);
});
