/**
 * The TypeScript snippets of the docs: found in the Markdown, written out as files a single `tsc`
 * program checks, and mapped back so that an error names the Markdown file and line, not a temp file.
 *
 * The convention the docs follow: a ```ts fence is a snippet that must type-check against the package
 * (`import … from 'proton-ts'` resolves through package.json's self-reference to dist/src); one whose
 * first line is `// runnable` is also run, with `PROTON_URL` naming a broker. Fences between
 * `<!-- include: FILE -->` and `<!-- /include -->` are copies of files the build already compiles (and
 * that scripts/docs-include.mjs keeps in step), so they are left out here.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

/** One ```ts fence of a Markdown file. */
export interface Snippet {
  /** The Markdown file, relative to the repository. */
  source: string;
  /** The line of the Markdown file (1-based) where the snippet's first line is. */
  line: number;
  /** The snippet's text, without the fences. */
  code: string;
  /** Whether its first line is `// runnable`. */
  runnable: boolean;
  /** The file it is written to (set by {@link writeSnippets}). */
  file?: string;
}

const TS_FENCE = /^(`{3,})(ts|typescript)\s*$/;
const ANY_FENCE = /^(`{3,})/;
const INCLUDE_OPEN = /^<!--\s*include:/;
const INCLUDE_CLOSE = /^<!--\s*\/include\s*-->/;

/** The snippets of one Markdown text; `source` names it. */
export function extractSnippets(markdown: string, source: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const out: Snippet[] = [];
  let inInclude = false;
  // Any fence, of any language: a ```ts line inside a ```md fence is text, not a snippet.
  let fence: { ts: boolean; start: number; ticks: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (fence !== undefined) {
      // A fence closes with at least as many backticks as opened it, and nothing after them.
      const close = /^(`{3,})\s*$/.exec(l);
      if (close === null || close[1]!.length < fence.ticks) continue;
      if (fence.ts && !inInclude) {
        const code = lines.slice(fence.start + 1, i).join('\n');
        out.push({
          source,
          line: fence.start + 2,
          code,
          runnable: /^\/\/ runnable\s*$/.test(lines[fence.start + 1] ?? ''),
        });
      }
      fence = undefined;
    } else if (ANY_FENCE.test(l)) {
      fence = { ts: TS_FENCE.test(l), start: i, ticks: ANY_FENCE.exec(l)![1]!.length };
    } else if (INCLUDE_OPEN.test(l)) {
      inInclude = true;
    } else if (INCLUDE_CLOSE.test(l)) {
      inInclude = false;
    }
  }
  return out;
}

/** The Markdown files whose snippets are checked: the README and docs/*.md (not the generated docs/api). */
export function markdownFiles(root: string): string[] {
  const docs = join(root, 'docs');
  const inDocs = readdirSync(docs)
    .filter((n) => n.endsWith('.md'))
    .sort()
    .map((n) => join(docs, n));
  return [join(root, 'README.md'), ...inDocs];
}

/** Every snippet of the README and docs/, with paths relative to `root`. */
export function allSnippets(root: string): Snippet[] {
  return markdownFiles(root).flatMap((f) => extractSnippets(readFileSync(f, 'utf8'), relative(root, f)));
}

/**
 * Writes each snippet to `dir` as a module of its own (a trailing `export {}` makes one of a snippet
 * without imports, so top-level `await` works and names do not clash between snippets), with a
 * tsconfig that extends the project's and emits JavaScript to `dir/out`. The lines keep their numbers.
 */
export function writeSnippets(snippets: Snippet[], dir: string, projectTsconfig: string): void {
  mkdirSync(dir, { recursive: true });
  const used = new Map<string, number>();
  for (const s of snippets) {
    const stem = s.source.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '_');
    const n = (used.get(stem) ?? 0) + 1;
    used.set(stem, n);
    s.file = `${stem}_${n}.ts`;
    writeFileSync(join(dir, s.file), `${s.code}\nexport {};\n`);
  }
  const tsconfig = {
    extends: relative(dir, projectTsconfig),
    compilerOptions: { rootDir: '.', outDir: 'out', declaration: false, sourceMap: false },
    include: ['*.ts'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
}

/** The compiled JavaScript of a written snippet. */
export const compiledPath = (dir: string, s: Snippet): string =>
  join(dir, 'out', basename(s.file!).replace(/\.ts$/, '.js'));

/** One line of tsc's output, and the snippet it is about (continuation lines go with their diagnostic). */
export interface Diagnostic {
  snippet: Snippet | undefined;
  text: string;
}

/**
 * tsc's diagnostics, with each snippet file and line replaced by the Markdown file and line it came
 * from (`docs/types.md:42:7 error TS2304: …`); lines naming no snippet are kept as they are.
 */
export function mapDiagnostics(output: string, snippets: Snippet[]): Diagnostic[] {
  const byFile = new Map(snippets.map((s) => [s.file!, s]));
  const out: Diagnostic[] = [];
  let current: Snippet | undefined;
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const m = /^(?:.*[\\/])?([^\\/()]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
    if (m === null) {
      // tsc indents the further lines of a diagnostic.
      out.push({ snippet: line.startsWith(' ') ? current : undefined, text: line });
      continue;
    }
    current = byFile.get(m[1]!);
    const where =
      current === undefined ? line : `${current.source}:${current.line + Number(m[2]) - 1}:${m[3]}`;
    out.push({ snippet: current, text: current === undefined ? line : `${where} ${m[4]}` });
  }
  return out;
}
