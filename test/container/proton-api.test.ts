/**
 * The Container against Apache Qpid Proton Python 0.37 (Debian's python3-qpid-proton and its example
 * programs), over loopback sockets, each peer on 127.0.0.1 and a free port, every Python process killed
 * when its test ends:
 *
 * - our simple_send, sending 100 messages `{'sequence': n}` to broker.py, all accepted ('all messages
 *   confirmed');
 * - our simple_recv, receiving them back from broker.py in order (broker.py filled by Proton's own
 *   simple_send.py);
 * - Proton's simple_send.py sending into our listening container (a trivial receiver);
 * - our sender to Proton's direct_recv.py, which listens.
 *
 * Without Proton the tests are skipped locally and fail under CI=true (test/support/proton-python.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Accepted } from '../../src/codec/index.js';
import { Backoff } from '../../src/container/backoff.js';
import type { Event } from '../../src/container/event.js';
import { Message } from '../../src/message/message.js';
import { freePort, HOST, Recorder, Scope, within } from '../support/container-harness.js';
import { requireProton } from '../support/proton-python.js';
import { PythonPeer } from '../support/python-peer.js';

const N = 100;

/** A number as the decoder gives it (a number, a bigint, or a typed wrapper with `value`). */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && v !== null && 'value' in v) return num((v as { value: unknown }).value);
  return undefined;
}

/** The body `{'sequence': n}` as Python prints it, from a decoded body. */
function printed(body: unknown): string {
  if (!(body instanceof Map)) return String(body);
  return `{${[...body].map(([k, v]) => `'${String(k)}': ${num(v) ?? String(v)}`).join(', ')}}`;
}

const expectedLines = Array.from({ length: N }, (_, i) => `{'sequence': ${i + 1}}`);

/** Our simple_send: N messages `{'sequence': n}`, id n, as credit allows; resends what was unconfirmed on a loss. */
function simpleSend(out: string[]) {
  let sent = 0;
  let confirmed = 0;
  const outcomes: unknown[] = [];
  const handler: Recorder = new Recorder(
    {},
    {
      onSendable(e: Event) {
        const s = e.sender!;
        while (s.credit > 0 && sent < N) {
          sent++;
          s.send(new Message({ id: sent, body: { sequence: sent } }));
        }
      },
      onAccepted(e: Event) {
        outcomes.push(e.delivery!.remote);
        confirmed++;
        if (confirmed === N) {
          out.push('all messages confirmed');
          e.connection!.close();
        }
      },
      onRejected(e: Event) {
        outcomes.push(e.delivery!.remote);
      },
      onReleased(e: Event) {
        outcomes.push(e.delivery!.remote);
      },
      onDisconnected() {
        sent = confirmed;
      },
    },
  );
  return { handler, outcomes, confirmed: () => confirmed };
}

describe('Container against Proton Python 0.37', { timeout: 60_000 }, () => {
  test("our simple_send to broker.py: 100 messages {'sequence': n}, all accepted", async (t) => {
    if (!requireProton(t)) return;
    const scope = new Scope(t);
    const port = await freePort();
    const broker = scope.add(new PythonPeer('broker.py', ['-a', `${HOST}:${port}`]));
    const out: string[] = [];
    const send = simpleSend(out);
    const cc = scope.container(send.handler);
    // broker.py takes a moment to listen: the default reconnect keeps trying until it does.
    cc.createSender(`${HOST}:${port}/examples`);
    const t0 = performance.now();
    await within(15_000, () => `confirmed ${send.confirmed()} of ${N}\n${broker.stderr}`, cc.run());
    t.diagnostic(`${N} messages confirmed by broker.py in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.deepEqual(out, ['all messages confirmed']);
    assert.equal(send.outcomes.length, N);
    assert.ok(
      send.outcomes.every((o) => o instanceof Accepted),
      'every message accepted',
    );
    assert.ok(broker.running, `broker.py is still up\n${broker.stderr}`);
    assert.equal(broker.stderr, '');
  });

  test('our simple_recv from broker.py: the 100 messages that Proton simple_send.py sent, in order', async (t) => {
    if (!requireProton(t)) return;
    const scope = new Scope(t);
    const port = await freePort();
    const broker = scope.add(new PythonPeer('broker.py', ['-a', `${HOST}:${port}`]));
    // Proton's own simple_send.py fills the queue (it retries until broker.py listens).
    const sender = scope.add(
      new PythonPeer('simple_send.py', ['-a', `${HOST}:${port}/examples`, '-m', `${N}`]),
    );
    const code = await within(
      15_000,
      () => `simple_send.py ends\n${sender.stderr}\n${broker.stderr}`,
      sender.exited,
    );
    assert.equal(code, 0, sender.stderr);
    assert.deepEqual(sender.lines, ['all messages confirmed']);

    const lines: string[] = [];
    const ids: (number | undefined)[] = [];
    let received = 0;
    const client = new Recorder(
      {},
      {
        onMessage(e) {
          const m = e.message!;
          const id = num(m.id);
          // As simple_recv.py (0.37): a message with an id below the count is a duplicate.
          if (id !== undefined && id < received) return;
          lines.push(printed(m.body));
          ids.push(id);
          if (++received === N) {
            e.receiver!.close();
            e.connection!.close();
          }
        },
      },
    );
    const cc = scope.container(client);
    cc.createReceiver(`${HOST}:${port}/examples`);
    await within(15_000, () => `received ${received} of ${N}\n${broker.stderr}`, cc.run());
    assert.deepEqual(lines, expectedLines);
    assert.deepEqual(
      ids,
      Array.from({ length: N }, (_, i) => i + 1),
    );
    assert.equal(client.count('onMessage'), N, 'no more than asked for');
  });

  test('Proton simple_send.py into our listening container', async (t) => {
    if (!requireProton(t)) return;
    const scope = new Scope(t);
    const lines: string[] = [];
    const ids: (number | undefined)[] = [];
    const server = new Recorder(
      {},
      {
        onLinkOpening(e) {
          e.link!.target.address = e.link!.remoteTarget?.address;
        },
        onMessage(e) {
          lines.push(printed(e.message!.body));
          ids.push(num(e.message!.id));
          assert.equal(e.receiver!.target.address, 'examples');
        },
        onConnectionClosed() {
          acceptor.close();
        },
      },
    );
    const sc = scope.container(server);
    const acceptor = await sc.listen(`${HOST}:0`);
    const run = sc.run();
    const sender = scope.add(
      new PythonPeer('simple_send.py', ['-a', `${HOST}:${acceptor.port}/examples`, '-m', `${N}`]),
    );
    const code = await within(
      15_000,
      () => `simple_send.py ends (${lines.length} received)\n${sender.stderr}`,
      sender.exited,
    );
    assert.equal(code, 0, sender.stderr);
    assert.deepEqual(sender.lines, ['all messages confirmed']);
    await within(5000, 'our container ends once simple_send.py closed and the acceptor closed', run);
    assert.deepEqual(lines, expectedLines);
    assert.deepEqual(
      ids,
      Array.from({ length: N }, (_, i) => i + 1),
    );
    assert.deepEqual(
      server.callbacks.filter((c) => c !== 'onMessage'),
      [
        'onStart',
        'onConnectionOpening',
        'onSessionOpening',
        'onLinkOpening',
        'onConnectionOpened',
        'onSessionOpened',
        'onLinkOpened',
        'onConnectionClosing',
        'onConnectionClosed',
      ],
    );
  });

  test('our sender to Proton direct_recv.py, which listens', async (t) => {
    if (!requireProton(t)) return;
    const scope = new Scope(t);
    const port = await freePort();
    const receiver = scope.add(
      new PythonPeer('direct_recv.py', ['-a', `${HOST}:${port}/examples`, '-m', `${N}`]),
    );
    const out: string[] = [];
    const send = simpleSend(out);
    const cc = scope.container(send.handler);
    // Until direct_recv.py listens, each attempt is refused: reconnect soon.
    const conn = cc.connect(`${HOST}:${port}`, { reconnect: new Backoff({ initial: 50, maxDelay: 200 }) });
    cc.createSender(conn, 'examples');
    const run = cc.run();
    const code = await within(
      15_000,
      () => `direct_recv.py ends (${receiver.lines.length} lines)\n${receiver.stderr}`,
      receiver.exited,
    );
    assert.equal(code, 0, receiver.stderr);
    assert.deepEqual(receiver.lines, expectedLines);
    // direct_recv.py closes the connection once it has them all: ours answers and ends.
    await within(5000, () => `our container ends (${send.confirmed()} confirmed)`, run);
    // Proton writes the disposition of the last message before its close.
    assert.equal(send.confirmed(), N);
    assert.ok(send.outcomes.every((o) => o instanceof Accepted));
    assert.deepEqual(out, ['all messages confirmed']);
  });
});
