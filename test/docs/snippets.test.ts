/**
 * Every TypeScript snippet in the README and docs/ compiles against the package, and every snippet marked
 * `// runnable` runs to a clean exit against the embedded broker, so a doc that drifts from the code
 * fails CI. All snippets go through one tsc program (one start-up, one load of the declarations); each
 * runnable one then runs as a child process of its own, with a broker of its own, and a time limit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/index.js';
import { Container } from '../../src/index.js';
import {
  allSnippets,
  compiledPath,
  type Diagnostic,
  extractSnippets,
  mapDiagnostics,
  type Snippet,
  writeSnippets,
} from './snippets.js';

/** The repository: this file runs from dist/test/docs. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Inside the repository, so that 'proton-ts' resolves to the package itself; one per run, so runs do not collide. */
const DIR = join(ROOT, 'dist', 'doc-snippets', String(process.pid));
/** How long one runnable snippet may take. */
const RUN_TIMEOUT = 15_000;

interface Exit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeout: number): Promise<Exit> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [file, ...args],
      { cwd: ROOT, env, timeout, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: number | string; signal?: string }) | null;
        const code = e === null ? 0 : typeof e.code === 'number' ? e.code : null;
        done({ code, signal: e?.signal ?? null, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** The embedded broker on a free loopback port, for one snippet. */
async function startBroker(): Promise<{ url: string; stop: () => Promise<void> }> {
  const container = new Container(new Broker(), { containerId: 'doc-snippets-broker' });
  const acceptor = await container.listen('127.0.0.1:0');
  const running = container.run();
  return {
    url: `127.0.0.1:${acceptor.port}`,
    stop: async () => {
      container.stop();
      await running.catch(() => {});
    },
  };
}

describe('extracting snippets', () => {
  test('finds ts fences with their Markdown line, marks runnable ones, skips included sources', () => {
    const md = [
      '# t', // 1
      '```ts', // 2
      '// runnable', // 3
      'const a = 1;', // 4
      '```', // 5
      '```sh', // 6
      'echo no', // 7
      '```', // 8
      '<!-- include: examples/x.ts -->', // 9
      '```ts', // 10
      "import '../src/index.js';", // 11
      '```', // 12
      '<!-- /include -->', // 13
      '````md', // 14
      '```ts', // 15 (text inside another fence)
      '````', // 16
      '```typescript', // 17
      'let b: number = 2;', // 18
      '```', // 19
    ].join('\n');
    const found = extractSnippets(md, 'x.md');
    assert.deepEqual(
      found.map((s) => [s.line, s.runnable, s.code]),
      [
        [3, true, '// runnable\nconst a = 1;'],
        [18, false, 'let b: number = 2;'],
      ],
    );
  });

  test('maps tsc diagnostics back to the Markdown line', () => {
    const s: Snippet = {
      source: 'docs/types.md',
      line: 40,
      code: '',
      runnable: false,
      file: 'docs_types_2.ts',
    };
    const out = mapDiagnostics(
      "/w/dist/doc-snippets/1/docs_types_2.ts(3,7): error TS2304: Cannot find name 'x'.\n  more\n",
      [s],
    );
    assert.deepEqual(
      out.map((d) => [d.snippet, d.text]),
      [
        [s, "docs/types.md:42:7 error TS2304: Cannot find name 'x'."],
        [s, '  more'],
      ],
    );
  });
});

describe('the snippets of the README and docs/', () => {
  const snippets = allSnippets(ROOT);
  let diagnostics: Diagnostic[] = [];
  let tscCode: number | null = null;

  before(async () => {
    rmSync(DIR, { recursive: true, force: true });
    writeSnippets(snippets, DIR, join(ROOT, 'tsconfig.json'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(tsc, ['-p', join(DIR, 'tsconfig.json'), '--pretty', 'false'], process.env, 120_000);
    tscCode = r.code;
    diagnostics = mapDiagnostics(r.stdout + r.stderr, snippets);
  });

  after(() => {
    rmSync(DIR, { recursive: true, force: true });
    // The shared parent too, unless another run is using it (rmdir refuses a directory not empty).
    try {
      rmdirSync(dirname(DIR));
    } catch {}
  });

  test('there are snippets, and some of them run', () => {
    assert.ok(
      snippets.some((s) => s.source === 'README.md'),
      'the README has ts snippets',
    );
    assert.ok(
      snippets.some((s) => s.runnable),
      'at least one snippet is marked // runnable',
    );
  });

  test('every snippet type-checks', () => {
    assert.equal(tscCode, 0, `tsc failed on the doc snippets:\n${diagnostics.map((d) => d.text).join('\n')}`);
  });

  for (const s of snippets.filter((x) => x.runnable)) {
    test(`${s.source}:${s.line} runs`, async () => {
      const own = diagnostics.filter((d) => d.snippet === s).map((d) => d.text);
      assert.notEqual(tscCode, null, 'tsc did not run to the end');
      assert.deepEqual(own, [], `it does not compile:\n${own.join('\n')}`);
      const broker = await startBroker();
      try {
        const r = await run(
          compiledPath(DIR, s),
          [],
          { ...process.env, PROTON_URL: broker.url },
          RUN_TIMEOUT,
        );
        assert.ok(
          r.code === 0,
          `${s.source}:${s.line} exited with ${r.code ?? r.signal}` +
            (r.signal === 'SIGKILL' ? ` (still running after ${RUN_TIMEOUT} ms)` : '') +
            `\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
        );
      } finally {
        await broker.stop();
      }
    });
  }
});
