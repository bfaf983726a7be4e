/**
 * The transactional examples (tx_send, tx_recv, tx_recv_interactive, server_tx) against OUR embedded
 * broker (Proton's broker.py has no transactions), run as child processes, ours and Proton's Python
 * ones paired both ways, asserting exactly what they print and what stays queued on the broker.
 * Independent pairings run at the same time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertOk,
  RESPONSES,
  run,
  type Started,
  sequence,
  start,
  stop,
  waitFor,
  waitForLine,
} from '../support/examples-runner.js';
import { useOurBroker } from '../support/our-broker.js';
import { requireProton } from '../support/proton-python.js';

const { fresh, address, depth, consumers } = useOurBroker('tx');

describe('transactional examples on our broker', { concurrency: true }, () => {
  for (const [sender, receiver, needsProton] of [
    ['ts:tx_send', 'ts:tx_recv', false],
    ['py:tx_send', 'ts:tx_recv', true],
    ['ts:tx_send', 'py:tx_recv', true],
  ] as const) {
    test(`${sender} then ${receiver}`, async (t) => {
      if (needsProton && !requireProton(t)) return;
      const name = fresh();
      const q = address(name);
      assertOk(await run(sender, ['-a', q, '-m', '20', '-b', '5']), ['all messages committed'], sender);
      assert.equal(depth(name), 20, 'committed, so queued on the broker');
      assertOk(await run(receiver, ['-a', q, '-m', '20', '-b', '5']), sequence(20), receiver);
      await waitFor('the queue to drain', () => depth(name) === 0);
    });
  }

  for (const [example, needsProton] of [
    ['ts:tx_recv_interactive', false],
    ['py:tx_recv_interactive', true],
  ] as const) {
    test(`${example} driven by stdin: fetch, abort (the messages come back), commit, quit`, async (t) => {
      if (needsProton && !requireProton(t)) return;
      const name = fresh();
      const q = address(name);
      assertOk(await run('ts:simple_send', ['-a', q, '-m', '4']), ['all messages confirmed'], 'simple_send');
      // Python's takes no options: its broker address and node are replaced in its text.
      const r = example.startsWith('py:')
        ? start(example, [], { stdin: true, retarget: q, timeoutMs: 60_000 })
        : start(example, ['-a', q], { stdin: true, timeoutMs: 60_000 });
      const declared = (n: number) => waitForLine(r, 'transaction declared', n);
      const fetch = async (seq: number, times = 1) => {
        r.write('fetch');
        await waitForLine(r, `{'sequence': ${seq}}`, times);
      };
      await declared(1);
      // The first transaction settles what it accepts at once (settle_before_discharge)...
      await fetch(1);
      await fetch(2);
      r.write('abort');
      await waitForLine(r, 'transaction aborted');
      await declared(2);
      // ...and its abort gives them back to the queue, first in line.
      await waitFor('the aborted messages back on the queue', () => depth(name) === 4);
      await fetch(1, 2);
      await fetch(2, 2);
      await fetch(3);
      r.write('commit');
      await waitForLine(r, 'transaction committed');
      await declared(3);
      assert.equal(depth(name), 1, 'the committed ones are gone');
      // A later transaction leaves its accepts unsettled; abort releases them: back they come.
      await fetch(4);
      r.write('abort');
      await waitForLine(r, 'transaction aborted', 2);
      await declared(4);
      await fetch(4, 2);
      r.write('commit');
      await waitForLine(r, 'transaction committed', 2);
      await declared(5);
      r.write('quit');
      r.child.stdin?.end();
      // The prompt comes from the stdin reader, a thread of its own in Python's example: it may print
      // before or after the first declare. It comes once, first or second; the rest is in order.
      const done = await r.done;
      const prompt = "Enter 'fetch', 'commit' or 'abort'";
      assert.ok(
        done.lines.indexOf(prompt) === 0 || done.lines.indexOf(prompt) === 1,
        `${example}: the prompt`,
      );
      assert.equal(done.lines.filter((l) => l === prompt).length, 1, `${example}: one prompt`);
      assertOk(
        { ...done, lines: done.lines.filter((l) => l !== prompt) },
        [
          'transaction declared',
          "{'sequence': 1}",
          "{'sequence': 2}",
          'transaction aborted',
          'transaction declared',
          "{'sequence': 1}",
          "{'sequence': 2}",
          "{'sequence': 3}",
          'transaction committed',
          'transaction declared',
          "{'sequence': 4}",
          'transaction aborted',
          'transaction declared',
          "{'sequence': 4}",
          'transaction committed',
          'transaction declared',
        ],
        example,
      );
      assert.equal(depth(name), 0);
    });
  }

  test('ts:tx_recv_interactive: the end of stdin ends it, an open transaction undone', async () => {
    const name = fresh();
    const q = address(name);
    assertOk(await run('ts:simple_send', ['-a', q, '-m', '1']), ['all messages confirmed'], 'simple_send');
    const r = start('ts:tx_recv_interactive', ['-a', q], { stdin: true });
    await waitForLine(r, 'transaction declared');
    r.write('fetch');
    r.write('bogus');
    await waitForLine(r, "{'sequence': 1}");
    r.child.stdin?.end();
    assertOk(
      await r.done,
      ["Enter 'fetch', 'commit' or 'abort'", 'transaction declared', "{'sequence': 1}"],
      'tx_recv_interactive',
    );
    await waitFor('the message back on the queue', () => depth(name) === 1);
  });

  for (const [server, client, needsProton] of [
    ['ts:server_tx', 'ts:client', false],
    ['ts:server_tx', 'py:client', true],
    ['py:server_tx', 'ts:client', true],
  ] as const) {
    test(`${client} with ${server}`, async (t) => {
      if (needsProton && !requireProton(t)) return;
      const name = fresh();
      const q = address(name);
      const s: Started = server.startsWith('py:')
        ? start(server, [], { retarget: q })
        : start(server, ['-a', q]);
      await waitFor(`${server}'s receiver`, () => consumers(name) === 1);
      assertOk(await run(client, ['-a', q]), RESPONSES, client);
      await waitForLine(s, 'Request processed successfully', RESPONSES.length);
      const out = await stop(s);
      assert.deepEqual(out.lines, Array(RESPONSES.length).fill('Request processed successfully'), out.stderr);
      assert.equal(depth(name), 0, 'every request accepted');
    });
  }
});
