/**
 * The examples of examples/ against OUR embedded broker (started in this process on 127.0.0.1, port 0),
 * run as child processes, among themselves and paired with Proton's Python examples, asserting what they
 * print. Unlike Proton's broker.py, ours filters by selector and browses without consuming.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertOk,
  REQUESTS,
  RESPONSES,
  run,
  sequence,
  start,
  stop,
  waitFor,
} from '../support/examples-runner.js';
import { useOurBroker } from '../support/our-broker.js';
import { requireProton } from '../support/proton-python.js';

const { fresh, address, depth, consumers } = useOurBroker('ours');
/** The address of a fresh queue. */
const queue = (): string => address(fresh());

test('helloworld', async () => {
  assertOk(await run('ts:helloworld', ['-a', queue()]), ['Hello World!'], 'helloworld');
});

for (const [sender, receiver, needsProton] of [
  ['ts:simple_send', 'ts:simple_recv', false],
  ['py:simple_send', 'ts:simple_recv', true],
  ['ts:simple_send', 'py:simple_recv', true],
  ['py:simple_send', 'py:simple_recv', true],
] as const) {
  test(`${sender} then ${receiver}`, async (t) => {
    if (needsProton && !requireProton(t)) return;
    const name = fresh();
    const q = address(name);
    assertOk(await run(sender, ['-a', q, '-m', '10']), ['all messages confirmed'], sender);
    assert.equal(depth(name), 10, 'queued on the broker');
    assertOk(await run(receiver, ['-a', q, '-m', '10']), sequence(10), receiver);
    await waitFor('the queue to drain', () => depth(name) === 0);
  });
}

test('ts:simple_send then ts:simple_recv taking half at a time', async () => {
  const q = queue();
  assertOk(await run('ts:simple_send', ['-a', q, '-m', '20']), ['all messages confirmed'], 'simple_send');
  assertOk(await run('ts:simple_recv', ['-a', q, '-m', '10']), sequence(10), 'simple_recv 1');
  // The first one's prefetched, unsettled rest goes back to the queue, in order, when it closes.
  const second = await run('ts:simple_recv', ['-a', q, '-m', '10']);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(second.lines, sequence(10, 11), 'simple_recv 2');
});

for (const [server, client, needsProton] of [
  ['ts:server', 'ts:client', false],
  ['ts:server', 'py:client', true],
  ['py:server', 'ts:client', true],
  ['py:server', 'py:client', true],
] as const) {
  test(`${client} with ${server}`, async (t) => {
    if (needsProton && !requireProton(t)) return;
    const q = queue();
    const s = start(server, ['-a', q]);
    await waitFor(`'Listening on' from ${server}`, () => s.output().includes('Listening on'));
    assertOk(await run(client, ['-a', q]), RESPONSES, client);
    const out = await stop(s);
    assert.match(out.lines[0] ?? '', /^Listening on (amqp:\/\/)?127\.0\.0\.1:\d+\/ours-\d+$/, out.stdout);
    assert.equal(out.lines.filter((l) => l.startsWith('Received ')).length, REQUESTS.length, out.stdout);
  });
}

test('ts:sync_client with ts:server', async () => {
  const q = queue();
  const s = start('ts:server', ['-a', q]);
  await waitFor("'Listening on'", () => s.output().includes('Listening on'));
  assertOk(await run('ts:sync_client', ['-a', q]), RESPONSES, 'sync_client');
  await stop(s);
});

test('colour_send then selected_recv gets only the green, then simple_recv the red', async () => {
  const name = fresh();
  const q = address(name);
  assertOk(await run('ts:colour_send', ['-a', q, '-m', '6']), ['all messages confirmed'], 'colour_send');
  assertOk(
    await run('ts:selected_recv', ['-a', q, '-m', '3']),
    ['green 1', 'green 3', 'green 5'],
    'selected_recv',
  );
  assert.equal(depth(name), 3, 'the red ones are still queued');
  // simple_recv prints the bodies as they are: the red ones, in order.
  assertOk(await run('ts:simple_recv', ['-a', q, '-m', '3']), ['red 2', 'red 4', 'red 6'], 'simple_recv');
  await waitFor('the queue to drain', () => depth(name) === 0);
});

test('selected_recv waiting for green gets the green one sent after it attached, not the red', async () => {
  const name = fresh();
  const q = address(name);
  const r = start('ts:selected_recv', ['-a', q, '-m', '1']);
  await waitFor('the selected receiver', () => consumers(name) === 1);
  assertOk(await run('ts:colour_send', ['-a', q, '-m', '2']), ['all messages confirmed'], 'colour_send');
  assertOk(await r.done, ['green 1'], 'selected_recv');
  assert.equal(depth(name), 1, 'red 2 is still queued');
  assertOk(await run('ts:simple_recv', ['-a', q, '-m', '1']), ['red 2'], 'simple_recv');
});

test('queue_browser sees the messages without consuming them', async () => {
  const name = fresh();
  const q = address(name);
  assertOk(await run('ts:colour_send', ['-a', q, '-m', '2']), ['all messages confirmed'], 'colour_send');
  // A browsed copy is not acquired: no first_acquirer, as broker.py prints it.
  const expected = [
    "Message(priority=4, id=1, properties={'colour': 'green'}, body='green 1')",
    "Message(priority=4, id=2, properties={'colour': 'red'}, body='red 2')",
  ];
  for (const round of [1, 2]) {
    const r = await run('ts:queue_browser', ['-a', q]);
    assert.equal(r.code, 0, r.stderr);
    // It closes once nothing more is queued on its link: after the first message or both.
    assert.ok(r.lines.length >= 1, `round ${round}: nothing browsed`);
    assert.deepEqual(r.lines, expected.slice(0, r.lines.length), `round ${round}`);
    assert.equal(depth(name), 2, `round ${round}: still queued after browsing`);
  }
  assertOk(await run('ts:simple_recv', ['-a', q, '-m', '2']), ['green 1', 'red 2'], 'simple_recv');
});
