/**
 * The examples of examples/, run as child processes against Proton's broker.py and paired with Proton's
 * own Python examples in both directions, asserting what they print.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  assertOk,
  freePort,
  killAll,
  RESPONSES,
  run,
  type Started,
  sequence,
  start,
  stop,
  waitFor,
  waitForPort,
} from '../support/examples-runner.js';
import { protonAvailable, requireProton } from '../support/proton-python.js';

/** Waits until the example has printed `text`. */
const waitForOutput = (p: Started, text: string): Promise<void> =>
  waitFor(`'${text}' in the output`, () => p.output().includes(text));

let broker: string;
let queues = 0;
/** A fresh queue on the broker, for one test. */
const queue = (): string => `${broker}/examples-${++queues}`;

before(async () => {
  if (!protonAvailable()) return;
  const port = await freePort();
  start('py:broker', ['-a', `127.0.0.1:${port}`], { timeoutMs: 120_000 });
  await waitForPort(port);
  broker = `127.0.0.1:${port}`;
});

const dirs: string[] = [];

after(() => {
  killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('options: --help lists the options, a bad value exits 2 naming the option', async () => {
  const help = await run('ts:simple_send', ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: simple_send\.js \[options\]\n\nSend messages to the supplied address\./);
  assert.match(help.stdout, /-a ADDRESS, --address=ADDRESS/);
  assert.match(help.stdout, /-m MESSAGES, --messages=MESSAGES/);
  const bad = await run('ts:simple_send', ['-m', 'x']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /simple_send\.js: error: option -m: invalid integer value: 'x'/);
  const bogus = await run('ts:tx_recv', ['--bogus']);
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /error: no such option: --bogus/);
  const float = await run('ts:sync_client', ['--time=abc']);
  assert.equal(float.code, 2);
  assert.match(float.stderr, /error: option --timeout: invalid floating-point value: 'abc'/);
});

test('helloworld', async (t) => {
  if (!requireProton(t)) return;
  assertOk(await run('ts:helloworld', ['-a', queue()]), ['Hello World!'], 'helloworld');
});

test('helloworld_direct', async () => {
  const port = await freePort();
  assertOk(
    await run('ts:helloworld_direct', ['-a', `127.0.0.1:${port}/examples`]),
    ['Hello World!'],
    'helloworld_direct',
  );
});

for (const [sender, receiver] of [
  ['ts:simple_send', 'ts:simple_recv'],
  ['py:simple_send', 'ts:simple_recv'],
  ['ts:simple_send', 'py:simple_recv'],
] as const) {
  test(`${sender} then ${receiver}`, async (t) => {
    if (!requireProton(t)) return;
    const q = queue();
    assertOk(await run(sender, ['-a', q, '-m', '10']), ['all messages confirmed'], sender);
    assertOk(await run(receiver, ['-a', q, '-m', '10']), sequence(10), receiver);
  });
}

for (const [listener, connector] of [
  ['ts:direct_send', 'py:simple_recv'],
  ['py:direct_send', 'ts:simple_recv'],
  ['ts:direct_recv', 'py:simple_send'],
  ['py:direct_recv', 'ts:simple_send'],
] as const) {
  test(`${listener} with ${connector} connecting to it`, async (t) => {
    if (!requireProton(t)) return;
    const address = `127.0.0.1:${await freePort()}/examples`;
    const l = start(listener, ['-a', address, '-m', '10']);
    // The connecting one retries until the listener listens.
    const c = await run(connector, ['-a', address, '-m', '10']);
    const lr = await l.done;
    const [sent, received] = listener.endsWith('send') ? [lr, c] : [c, lr];
    assertOk(sent, ['all messages confirmed'], 'the sender');
    assertOk(received, sequence(10), 'the receiver');
  });
}

for (const server of ['ts:server', 'py:server'] as const) {
  test(`ts:client with ${server}`, async (t) => {
    if (!requireProton(t)) return;
    const q = queue();
    const s = start(server, ['-a', q]);
    await waitForOutput(s, 'Listening on');
    assertOk(await run('ts:client', ['-a', q]), RESPONSES, 'client');
    assertOk(
      await run('ts:client', ['-a', q, 'one', 'two three']),
      ['one => ONE', 'two three => TWO THREE'],
      'client',
    );
    assertOk(await run('ts:sync_client', ['-a', q]), RESPONSES, 'sync_client');
    const out = await stop(s);
    assert.equal(out.lines[0], `Listening on amqp://${q}`);
    assert.equal(out.lines.filter((l) => l.startsWith('Received Message(reply_to=')).length, 10, out.stdout);
  });
}

test('ts:client and py:client with ts:server_direct', async (t) => {
  if (!requireProton(t)) return;
  const address = `127.0.0.1:${await freePort()}`;
  const s = start('ts:server_direct', ['-a', address]);
  await waitForOutput(s, 'Listening on');
  assertOk(await run('ts:client', ['-a', `${address}/examples`]), RESPONSES, 'client');
  assertOk(await run('py:client', ['-a', `${address}/examples`]), RESPONSES, 'py:client');
  const out = await stop(s);
  assert.equal(out.lines[0], `Listening on ${address}`);
});

test('colour_send then selected_recv (broker.py ignores the selector)', async (t) => {
  if (!requireProton(t)) return;
  const q = queue();
  assertOk(await run('ts:colour_send', ['-a', q, '-m', '4']), ['all messages confirmed'], 'colour_send');
  assertOk(
    await run('ts:selected_recv', ['-a', q, '-m', '4']),
    ['green 1', 'red 2', 'green 3', 'red 4'],
    'selected_recv',
  );
});

test('colour_send then queue_browser', async (t) => {
  if (!requireProton(t)) return;
  const q = queue();
  assertOk(await run('ts:colour_send', ['-a', q, '-m', '2']), ['all messages confirmed'], 'colour_send');
  const r = await run('ts:queue_browser', ['-a', q]);
  assert.equal(r.code, 0, r.stderr);
  const expected = [
    "Message(priority=4, id=1, properties={'colour': 'green'}, body='green 1')",
    "Message(priority=4, id=2, properties={'colour': 'red'}, body='red 2')",
  ];
  // It closes once nothing more is queued on its link: after the first message or both.
  assert.ok(r.lines.length >= 1, 'nothing browsed');
  assert.deepEqual(r.lines, expected.slice(0, r.lines.length));
});

test('recurring_timer prints Tick...', async () => {
  const r = await run('ts:recurring_timer', ['-p', '0.1', '-t', '0.35']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.lines.length >= 2, r.stdout);
  assert.ok(
    r.lines.every((l) => l === 'Tick...'),
    r.stdout,
  );
});

for (const client of ['ts:client', 'py:client'] as const) {
  test(`${client} with ts:abstract_server`, async (t) => {
    if (!requireProton(t)) return;
    const q = queue();
    const s = start('ts:abstract_server', ['-a', q]);
    assertOk(await run(client, ['-a', q]), RESPONSES, client);
    const out = await stop(s);
    assert.equal(out.lines.length, RESPONSES.length, out.stdout);
    // Every request came from the client's one reply queue, a UUID broker.py made.
    assert.equal(new Set(out.lines).size, 1, out.stdout);
    assert.match(out.lines[0] ?? '', /^Request from: [0-9a-f-]{36}$/);
  });
}

test('ts:db_ctrl, ts:db_send then ts:db_recv, as test_examples.py runs them', async (t) => {
  if (!requireProton(t)) return;
  const q = queue();
  const cwd = mkdtempSync(join(tmpdir(), 'proton-ts-db-'));
  dirs.push(cwd);
  for (const db of ['src_db', 'dst_db']) assertOk(await run('ts:db_ctrl', ['init', db], { cwd }), [], db);
  const fill = start('ts:db_ctrl', ['insert', 'src_db'], { cwd, stdin: true });
  for (let i = 1; i <= 21; i++) fill.write(`Message-${i}`);
  fill.child.stdin?.end();
  assertOk(await fill.done, [], 'insert');
  // The receiver first, as test_examples.py: it waits for what the sender sends.
  const r = start('ts:db_recv', ['-a', q, '-m', '20'], { cwd });
  const sent = await run('ts:db_send', ['-a', q, '-m', '20'], { cwd });
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(sent.lines.filter((l) => l.startsWith('settled message ')).length, 20, sent.stdout);
  assertOk(
    await r.done,
    Array.from({ length: 20 }, (_, i) => `inserted message ${i + 1}`),
    'db_recv',
  );
  assertOk(
    await run('ts:db_ctrl', ['list', 'dst_db'], { cwd }),
    Array.from({ length: 20 }, (_, i) => `(${i + 1}, 'Message-${i + 1}')`),
    'dst_db',
  );
  assertOk(await run('ts:db_ctrl', ['list', 'src_db'], { cwd }), ["(21, 'Message-21')"], 'src_db');
});
