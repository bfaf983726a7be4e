/**
 * Running Apache Qpid Proton's Python binding (0.37, Debian's python3-qpid-proton) from the tests: the
 * fixture scripts of test/fixtures/proton/ (values.py, messages.py...) take a mode on the command line,
 * read JSON on stdin and print JSON on stdout, so that a test can have Proton encode or decode and compare
 * with proton-ts.
 *
 * A test that needs Proton starts with {@link requireProton}: without Proton it is skipped locally, and
 * fails under `CI=true`, where Proton must be installed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isAbsolute } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WIDTHS } from './arbitraries.js';

/** Debian's Python, which python3-qpid-proton installs Proton for (whatever `python3` is first on the PATH). */
export const PYTHON = '/usr/bin/python3';

/** What a test without Proton says when it skips itself. */
export const PROTON_SKIP_MESSAGE = 'needs python3-qpid-proton (apt-get install python3-qpid-proton)';

/** The width modes of the encoder, as {@link encodeInEveryWidth} tries them. */
export type Widths = (typeof WIDTHS)[number];

let available: boolean | undefined;

/** Whether {@link PYTHON} can `import proton` (asked once, then remembered). */
export function protonAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(PYTHON, ['-c', 'import proton'], { timeout: 5000, stdio: 'ignore' });
    available = r.status === 0;
  }
  return available;
}

/**
 * Whether the test `t` can go on with Proton. Without it, `t` is skipped with
 * {@link PROTON_SKIP_MESSAGE} and this returns false, except under `CI=true`, where it fails `t`:
 *
 * ```ts
 * test('...', async (t) => {
 *   if (!requireProton(t)) return;
 *   ...
 * });
 * ```
 */
export function requireProton(t: TestContext): boolean {
  if (protonAvailable()) return true;
  if (process.env.CI === 'true') {
    assert.fail(`python3-qpid-proton is required in CI: '${PYTHON} -c "import proton"' failed`);
  }
  t.skip(PROTON_SKIP_MESSAGE);
  return false;
}

/** The path of a script: `script` itself when absolute, else the file of that name in test/fixtures/proton/. */
export function protonScriptPath(script: string): string {
  if (isAbsolute(script)) return script;
  // dist/test/support/ -> the repository root.
  return fileURLToPath(new URL(`../../../test/fixtures/proton/${script}`, import.meta.url));
}

/**
 * Runs `python3 <script> <mode>` with `input` (if any) on stdin and returns the JSON it prints, as `T`
 * unchecked. `script` is a file name in test/fixtures/proton/ (see {@link protonScriptPath}). Fails the
 * test when the script exits with a status other than 0, quoting its stderr.
 */
export function runProtonScript<T = unknown>(script: string, mode: string, input?: string): T {
  const r = spawnSync(PYTHON, [protonScriptPath(script), mode], {
    input,
    encoding: 'utf8',
    timeout: 10_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${script} ${mode} failed (status ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The lower-case hex of the bytes, which may be a view into a larger buffer. */
export const hexOf = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** At most 400 characters of the JSON of `v`, for failure messages. */
export function brief(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 400 ? `${s.slice(0, 400)}...` : s;
}

/** A failure message that shows the bytes, the expected and the actual value (each {@link brief}). */
export function mismatch(what: string, hex: string, expected: unknown, actual: unknown): string {
  return `${what}\n  bytes:    ${brief(hex)}\n  expected: ${brief(expected)}\n  actual:   ${brief(actual)}`;
}

/** One case encoded here in one width mode (see {@link encodeInEveryWidth}). */
export interface Encoding<C> {
  /** `<case name> [<widths>]`. */
  name: string;
  c: C;
  widths: Widths;
  /** The hex of the encoding; '' when the encoder threw. */
  hex: string;
  /** The message of what the encoder threw, if it did. */
  threw?: string;
}

/**
 * Each case encoded by `encode` in every width mode of the encoder, by name (`<case name> [<widths>]`).
 * What the encoder throws is kept in `threw`, for the test of that case to fail on.
 */
export function encodeInEveryWidth<C extends { name: string }>(
  cases: readonly C[],
  encode: (c: C, widths: Widths) => Uint8Array,
): Map<string, Encoding<C>> {
  const byName = new Map<string, Encoding<C>>();
  for (const c of cases) {
    for (const widths of WIDTHS) {
      const name = `${c.name} [${widths}]`;
      try {
        byName.set(name, { name, c, widths, hex: hexOf(encode(c, widths)) });
      } catch (e) {
        byName.set(name, { name, c, widths, hex: '', threw: (e as Error).message });
      }
    }
  }
  return byName;
}

/**
 * Has the `decode` mode of a fixture script decode each encoding that did not throw (it reads a JSON list
 * of `{name, hex}` and prints a list of answers, each with its `name`); the answers, by name.
 */
export function decodeInProton<A extends { name: string }>(
  script: string,
  encodings: Iterable<Encoding<unknown>>,
): Map<string, A> {
  const requests = [...encodings]
    .filter((e) => e.threw === undefined)
    .map(({ name, hex }) => ({ name, hex }));
  const answers = runProtonScript<A[]>(script, 'decode', JSON.stringify(requests));
  return new Map(answers.map((a) => [a.name, a]));
}
