/**
 * The database examples (db_ctrl, db_send, db_recv) as Proton's test_examples.py runs them, against
 * OUR embedded broker: db_ctrl makes and fills the source table, db_send sends its records (deleting
 * each once settled), db_recv writes them to its own table, and db_ctrl lists both. Ours keep a table
 * as a JSON-lines directory and Proton's as sqlite, so each side runs in a directory of its own and
 * they meet only over AMQP: ours and Proton's are paired both ways.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { assertOk, type Result, run, start } from '../support/examples-runner.js';
import { useOurBroker } from '../support/our-broker.js';
import { requireProton } from '../support/proton-python.js';

const { fresh, address, depth } = useOurBroker('db');
const dirs: string[] = [];
/** A fresh working directory, removed after the tests. */
const workDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'proton-ts-db-'));
  dirs.push(d);
  return d;
};

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** `db_ctrl insert` with `lines` on its stdin. */
async function insert(kind: string, cwd: string, db: string, lines: readonly string[]): Promise<Result> {
  const p = start(`${kind}:db_ctrl`, ['insert', db], { cwd, stdin: true });
  for (const l of lines) p.write(l);
  p.child.stdin?.end();
  return p.done;
}

const messages = (n: number): string[] => Array.from({ length: n }, (_, i) => `Message-${i + 1}`);
const rows = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `(${from + i}, 'Message-${from + i}')`);

/** db_send's lines: each record sent and settled once, in order, among its progress lines. */
function assertSent(r: Result, n: number, what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  const ids = (prefix: string) =>
    r.lines.filter((l) => l.startsWith(prefix)).map((l) => Number(l.slice(prefix.length)));
  const all = Array.from({ length: n }, (_, i) => i + 1);
  assert.deepEqual(ids('sent message '), all, r.stdout);
  assert.deepEqual(ids('settled message '), all, r.stdout);
  const other = r.lines.filter((l) => !/^(sent|settled) message \d+$/.test(l));
  assert.ok(other.length >= 1, r.stdout);
  assert.ok(
    other.every((l) => l === 'loading records...'),
    r.stdout,
  );
}

describe('db examples on our broker', { concurrency: true }, () => {
  test('ts:db_ctrl: usage, unknown command, a table never made', async () => {
    const cwd = workDir();
    const usage = await run('ts:db_ctrl', ['init'], { cwd });
    assert.equal(usage.code, 0);
    assert.match(usage.stdout, /^Usage: \S*db_ctrl\.js \[init\|insert\|list\] db\n$/);
    assertOk(await run('ts:db_ctrl', ['drop', 'x'], { cwd }), ['Unrecognised command: drop'], 'db_ctrl');
    const missing = await run('ts:db_ctrl', ['list', 'nothere'], { cwd });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such table: records/);
    // init empties a table and starts its ids again; ids are never reused after a delete.
    assertOk(await run('ts:db_ctrl', ['init', 'db'], { cwd }), [], 'init');
    assertOk(await insert('ts', cwd, 'db', ['a  ', 'b']), [], 'insert');
    assertOk(await run('ts:db_ctrl', ['list', 'db'], { cwd }), ["(1, 'a')", "(2, 'b')"], 'list');
    assertOk(await run('ts:db_ctrl', ['init', 'db'], { cwd }), [], 'init again');
    assertOk(await run('ts:db_ctrl', ['list', 'db'], { cwd }), [], 'list after init');
  });

  for (const [sender, receiver, needsProton] of [
    ['ts', 'ts', false],
    ['py', 'ts', true],
    ['ts', 'py', true],
  ] as const) {
    test(`${sender}:db_send then ${receiver}:db_recv`, async (t) => {
      if (needsProton && !requireProton(t)) return;
      const name = fresh();
      const q = address(name);
      const [src, dst] = [workDir(), workDir()];
      assertOk(await run(`${sender}:db_ctrl`, ['init', 'src_db'], { cwd: src }), [], 'init src_db');
      assertOk(await run(`${receiver}:db_ctrl`, ['init', 'dst_db'], { cwd: dst }), [], 'init dst_db');
      // Two more than are sent: they stay in the source table.
      assertOk(await insert(sender, src, 'src_db', messages(12)), [], 'insert');
      assertSent(await run(`${sender}:db_send`, ['-a', q, '-m', '10'], { cwd: src }), 10, 'db_send');
      assert.equal(depth(name), 10, 'queued on the broker');
      assertOk(
        await run(`${sender}:db_ctrl`, ['list', 'src_db'], { cwd: src }),
        rows(11, 12),
        'the records sent are deleted',
      );
      const inserted = Array.from({ length: 10 }, (_, i) => `inserted message ${i + 1}`);
      assertOk(await run(`${receiver}:db_recv`, ['-a', q, '-m', '10'], { cwd: dst }), inserted, 'db_recv');
      assertOk(await run(`${receiver}:db_ctrl`, ['list', 'dst_db'], { cwd: dst }), rows(1, 10), 'dst_db');
      assert.equal(depth(name), 0);
    });
  }

  test('ts:db_recv accepts a message it has already written without writing it again', async () => {
    const name = fresh();
    const q = address(name);
    const [src, dst] = [workDir(), workDir()];
    for (const [cwd, db] of [
      [src, 'src_db'],
      [dst, 'dst_db'],
    ] as const) {
      assertOk(await run('ts:db_ctrl', ['init', db], { cwd }), [], `init ${db}`);
    }
    // One more than is sent, so that db_send does not wait 5 s to look for more.
    assertOk(await insert('ts', src, 'src_db', messages(3)), [], 'insert');
    assertOk(await insert('ts', dst, 'dst_db', ['Message-1']), [], 'insert the first already');
    assertSent(await run('ts:db_send', ['-a', q, '-m', '2'], { cwd: src }), 2, 'db_send');
    assertOk(await run('ts:db_recv', ['-a', q, '-m', '1'], { cwd: dst }), ['inserted message 2'], 'db_recv');
    assertOk(await run('ts:db_ctrl', ['list', 'dst_db'], { cwd: dst }), rows(1, 2), 'dst_db');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(depth(name), 0, 'the duplicate was accepted too');
  });
});
