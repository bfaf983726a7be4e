/**
 * The examples of examples/, run as child processes against Proton's broker.py and paired with Proton's
 * own Python examples in both directions, asserting what they print.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PYTHON, protonAvailable, requireProton } from '../support/proton-python.js';

const PY_EXAMPLES = '/usr/share/proton/examples/python';
const REQUESTS = [
  'Twas brillig, and the slithy toves',
  'Did gire and gymble in the wabe.',
  'All mimsy were the borogroves,',
  'And the mome raths outgrabe.',
];
const RESPONSES = REQUESTS.map((r) => `${r} => ${r.toUpperCase()}`);

const children = new Set<ChildProcess>();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
}

/** The command line of one of our examples (`ts:NAME`) or of one of Proton's (`py:NAME`). */
function command(example: string, args: readonly string[]): [string, string[]] {
  const [kind, name] = example.split(':') as [string, string];
  if (kind === 'py') return [PYTHON, [`${PY_EXAMPLES}/${name}.py`, ...args]];
  return [process.execPath, [fileURLToPath(new URL(`../../examples/${name}.js`, import.meta.url)), ...args]];
}

/** Starts an example; `done` resolves when it exits (it is killed after `timeoutMs`). */
function start(example: string, args: readonly string[], timeoutMs = 10_000) {
  const [cmd, argv] = command(example, args);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Result>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== '') });
    });
  });
  return { child, done, output: () => stdout };
}

/** Runs an example to its end. */
const run = (example: string, args: readonly string[], timeoutMs = 10_000): Promise<Result> =>
  start(example, args, timeoutMs).done;

/** Stops a long-running example (a server) and returns what it printed. */
async function stop(p: ReturnType<typeof start>): Promise<Result> {
  p.child.kill('SIGINT');
  return p.done;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForOutput(p: ReturnType<typeof start>, text: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!p.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no '${text}' in ${JSON.stringify(p.output())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sequence = (n: number): string[] => Array.from({ length: n }, (_, i) => `{'sequence': ${i + 1}}`);

function assertOk(r: Result, lines: readonly string[], what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  assert.deepEqual(r.lines, lines, `${what}: ${r.stderr}`);
}

let broker: string;
let queues = 0;
/** A fresh queue on the broker, for one test. */
const queue = (): string => `${broker}/examples-${++queues}`;

before(async () => {
  if (!protonAvailable()) return;
  const port = await freePort();
  start('py:broker', ['-a', `127.0.0.1:${port}`], 60_000);
  await waitForPort(port);
  broker = `127.0.0.1:${port}`;
});

after(() => {
  for (const c of children) c.kill('SIGKILL');
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
