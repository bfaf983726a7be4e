/**
 * The interop matrix against RabbitMQ 3.10 with its AMQP 1.0 plugin (Debian's rabbitmq-server), one
 * broker for the whole file (test/interop/rabbitmq/broker.ts). Directions: `(proton-ts → peer)` is
 * proton-ts sending and RabbitMQ taking the messages (checked by its outcomes and by rabbitmqctl's own
 * count), `(peer → proton-ts)` is RabbitMQ delivering to proton-ts. Without RabbitMQ every test is
 * skipped with the reason; under CI=true that is a failure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { type AmqpValue, Message, Modified, SSLDomain } from '../../src/index.js';
import { toTypedJson } from '../support/typed-json.js';
import { RabbitMQ } from './rabbitmq/broker.js';
import { PeerError, receiveAll, sendAll } from './rabbitmq/clients.js';
import {
  differences,
  everyTypeMessages,
  RABBITMQ_CHANGES,
  RABBITMQ_UNPARSEABLE,
} from './rabbitmq/every-type.js';
import { quietConnection, throughRestart } from './rabbitmq/resilience.js';
import { provokeSessionError } from './rabbitmq/session-errors.js';
import { bigBody, sha256 } from './support/scenarios.js';

let rmq: RabbitMQ | undefined;
let unavailable = 'RabbitMQ was not started';

/** The running broker, or undefined after skipping `t` (failing it under CI). */
function broker(t: TestContext): RabbitMQ | undefined {
  if (rmq !== undefined) return rmq;
  if (process.env.CI === 'true') assert.fail(`RabbitMQ is required in CI: ${unavailable}`);
  t.skip(unavailable);
  return undefined;
}

let queues = 0;
/** A queue name of its own for each use. */
const fresh = (what: string) => `${what}-${process.pid}-${++queues}`;
const GUEST = { user: 'guest', password: 'guest' };

describe('rabbitmq', () => {
  before(
    async () => {
      try {
        rmq = await RabbitMQ.start();
      } catch (e) {
        unavailable = `RabbitMQ could not start: ${(e as Error).message.split('\n').slice(0, 6).join(' / ')}`;
        if (process.env.CI === 'true') throw e;
        console.error(`# rabbitmq: skipped: ${unavailable}`);
      }
    },
    { timeout: 150_000 },
  );

  after(async () => {
    await rmq?.stop();
    rmq = undefined;
  });

  test('rabbitmq › types (proton-ts → peer → proton-ts)', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const q = `/queue/${fresh('types')}`;
    const sent = everyTypeMessages(q);
    assert.deepEqual(await sendAll(b.url(), q, (i) => sent[i]!, sent.length), [
      'accepted',
      'accepted',
      'accepted',
    ]);
    const got = await receiveAll(b.url(), q, sent.length);
    for (const [i, r] of got.entries()) {
      const added: string[] = [];
      assert.deepEqual(differences(sent[i]!, r.message, added), [], `message ${i} (${sent[i]!.bodyKind})`);
      assert.deepEqual(added, [], 'annotations RabbitMQ added');
    }
  });

  test('rabbitmq › types [limit: RabbitMQ 3.10 drops the connection on described values in annotations, arrays of compact or compound elements and amqp-value lists of 2+; it turns a ulong correlation-id into a long and reverses body sections]', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const q = `/queue/${fresh('unparseable')}`;
    for (const [name, m] of Object.entries(RABBITMQ_UNPARSEABLE)) {
      // Our side: a clean, typed failure of that one connection, not a hang or a crash.
      await assert.rejects(
        sendAll(b.url(), q, () => m, 1, { timeoutMs: 10_000 }),
        (e: unknown) => {
          assert.ok(e instanceof PeerError, `${name}: ${String(e)}`);
          assert.equal(e.condition, 'amqp:connection:framing-error', name);
          return true;
        },
      );
    }
    assert.equal((await b.queueDepths()).get(q.slice('/queue/'.length)) ?? 0, 0, 'nothing was queued');
    const changed = `/queue/${fresh('changed')}`;
    const sent = [RABBITMQ_CHANGES.ulongCorrelationId(), RABBITMQ_CHANGES.sections()];
    await sendAll(b.url(), changed, (i) => sent[i]!, sent.length);
    const [corr, sections] = await receiveAll(b.url(), changed, 2);
    assert.deepEqual(toTypedJson(corr!.message.correlationId as AmqpValue), { t: 'long', v: '12345' });
    const body = sections!.message.body as { sections: AmqpValue[] };
    assert.deepEqual(body.sections, [['second'], ['first']]);
  });

  for (const [mode, atMostOnce] of [
    ['at-least-once', false],
    ['at-most-once', true],
  ] as const) {
    const q = fresh(`ten-k-${mode}`);
    const N = 10_000;
    test(`rabbitmq › 10k-${mode} (proton-ts → peer)`, async (t) => {
      const b = broker(t);
      if (b === undefined) return;
      const start = performance.now();
      const make = (i: number) => new Message({ properties: { i }, body: `message ${i}` });
      const outcomes = await sendAll(b.url(), `/queue/${q}`, make, N, { atMostOnce });
      const ms = performance.now() - start;
      assert.equal(outcomes.filter((o) => o === (atMostOnce ? 'settled' : 'accepted')).length, N);
      // RabbitMQ's own count: every message is in the queue.
      assert.equal((await b.queueDepths()).get(q), N);
      t.diagnostic(`${N} sent ${mode} in ${ms.toFixed(0)} ms (${((N / ms) * 1000).toFixed(0)} msg/s)`);
    });
    test(`rabbitmq › 10k-${mode} (peer → proton-ts)`, async (t) => {
      const b = broker(t);
      if (b === undefined) return;
      const start = performance.now();
      const got = await receiveAll(b.url(), `/queue/${q}`, N, { atMostOnce, prefetch: 500 });
      const ms = performance.now() - start;
      assert.equal(got.length, N);
      for (const [i, r] of got.entries()) {
        assert.equal(r.message.body, `message ${i}`);
        assert.equal(r.message.properties?.i, i);
        assert.equal(r.settled, atMostOnce, `message ${i} settled by RabbitMQ`);
      }
      assert.equal((await b.queueDepths()).get(q), 0);
      t.diagnostic(`${N} received ${mode} in ${ms.toFixed(0)} ms (${((N / ms) * 1000).toFixed(0)} msg/s)`);
    });
  }

  for (const [name, size] of [
    ['1MiB', 1 << 20],
    ['16MiB', 16 << 20],
  ] as const) {
    const q = fresh(`big-${name}`);
    const body = bigBody(size, size);
    test(`rabbitmq › ${name} (proton-ts → peer)`, async (t) => {
      const b = broker(t);
      if (b === undefined) return;
      const outcomes = await sendAll(
        b.url(),
        `/queue/${q}`,
        () => new Message({ body, bodyKind: 'data' }),
        1,
      );
      assert.deepEqual(outcomes, ['accepted']);
      assert.equal((await b.queueDepths()).get(q), 1);
    });
    test(`rabbitmq › ${name} (peer → proton-ts)`, async (t) => {
      const b = broker(t);
      if (b === undefined) return;
      const [r] = await receiveAll(b.url(), `/queue/${q}`, 1);
      const got = r!.message.body as Uint8Array;
      assert.equal(r!.message.bodyKind, 'data');
      assert.equal(got.byteLength, size);
      assert.equal(sha256(got), sha256(body));
    });
  }

  test('rabbitmq › accept (peer → proton-ts)', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const q = fresh('accept');
    await sendAll(b.url(), `/queue/${q}`, (i) => new Message({ body: i }), 3);
    const got = await receiveAll(b.url(), `/queue/${q}`, 3, { dispose: () => 'accept' });
    assert.deepEqual(
      got.map((r) => r.message.body),
      [0, 1, 2],
    );
    assert.equal((await b.queueDepths()).get(q), 0, 'accepted messages leave the queue');
  });

  test('rabbitmq › reject (peer → proton-ts)', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const q = fresh('reject');
    await sendAll(b.url(), `/queue/${q}`, (i) => new Message({ body: i }), 2);
    const got = await receiveAll(b.url(), `/queue/${q}`, 2, {
      dispose: (_m, i) => (i === 0 ? 'reject' : 'accept'),
    });
    assert.deepEqual(
      got.map((r) => r.message.body),
      [0, 1],
    );
    // Rejected is dropped (no dead-letter exchange here), not delivered again.
    assert.equal((await b.queueDepths()).get(q), 0);
  });

  test('rabbitmq › reject (proton-ts → peer) [limit: RabbitMQ 3.10 never rejects a message sent to it: a queue refusing one (overflow reject-publish) crashes the session and drops the connection]', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    // A queue that holds one message and refuses more (AMQP 0-9-1 publishers get a nack).
    const q = fresh('full');
    const policy = '{"max-length":1,"overflow":"reject-publish"}';
    await b.ctl('set_policy', `full-${q}`, `^${q}$`, policy, '--apply-to', 'queues');
    const sending = sendAll(b.url(), `/queue/${q}`, (i) => new Message({ body: i }), 3, {
      timeoutMs: 15_000,
    });
    await assert.rejects(sending, (e: unknown) => {
      assert.ok(e instanceof PeerError, String(e));
      assert.equal(e.condition, 'amqp:connection:framing-error');
      // The first was taken; the refused ones got no outcome at all (they stay in doubt here).
      assert.deepEqual(e.outcomes, ['accepted', undefined, undefined]);
      return true;
    });
    assert.equal((await b.queueDepths()).get(q), 1);
  });

  test('rabbitmq › release (peer → proton-ts)', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const q = fresh('release');
    await sendAll(b.url(), `/queue/${q}`, () => new Message({ body: 'released then accepted' }), 1);
    const first = await receiveAll(b.url(), `/queue/${q}`, 1, { dispose: () => 'release' });
    assert.equal(first[0]!.message.deliveryCount, 0);
    // Released goes back to the queue and comes again.
    const again = await receiveAll(b.url(), `/queue/${q}`, 1);
    assert.equal(again[0]!.message.body, 'released then accepted');
    assert.equal((await b.queueDepths()).get(q), 0);
  });

  test('rabbitmq › modified (peer → proton-ts) [limit: RabbitMQ 3.10 ends the session on the modified outcome (amqp:invalid-field "Unrecognised state"); the connection survives and the message comes again]', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const q = `/queue/${fresh('modified')}`;
    await sendAll(b.url(), q, () => new Message({ body: 'modified' }), 1);
    const run = await provokeSessionError(b.url(), {
      provoke: (c, conn) => c.createReceiver(conn, q),
      onMessage: (h, e) =>
        h.settle(
          e.delivery!,
          Object.assign(new Modified(), { deliveryFailed: false, undeliverableHere: false }),
        ),
      afterwards: { address: q, count: 1 },
    });
    assert.deepEqual(
      run.before.map((m) => m.body),
      ['modified'],
    );
    assert.deepEqual(
      run.sessionErrors.map((e) => e.condition),
      ['amqp:invalid-field'],
    );
    assert.match(run.sessionErrors[0]!.description ?? '', /Unrecognised state/);
    // Nothing lost: unsettled, the message comes again, on a new session of the same connection.
    assert.deepEqual(
      run.after.map((m) => m.body),
      ['modified'],
    );
    assert.equal(run.connectionOpen, true);
  });

  test('rabbitmq › refused-attach', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const q = `/queue/${fresh('after-refusal')}`;
    await sendAll(b.url(), q, () => new Message({ body: 'still here' }), 1);
    const run = await provokeSessionError(b.url(), {
      provoke: (c, conn) => c.createSender(conn, '/no/such/kind', { name: 'refused' }),
      afterwards: { address: q, count: 1 },
    });
    // RabbitMQ ends the session instead of refusing the link: the application hears it as a link error
    // on the link refused, with RabbitMQ's reason, and as a session error.
    assert.deepEqual(run.linkErrors, [
      {
        link: 'refused',
        condition: 'amqp:invalid-field',
        description: 'Attach rejected: {unknown_destination,"/no/such/kind"}',
      },
    ]);
    assert.deepEqual(
      run.sessionErrors.map((e) => e.condition),
      ['amqp:invalid-field'],
    );
    assert.deepEqual(
      run.after.map((m) => m.body),
      ['still here'],
    );
    assert.equal(run.connectionOpen, true);
  });

  test('rabbitmq › drain [limit: RabbitMQ 3.10 fails a drain on a classic queue by ending the session (amqp:internal-error); the connection survives]', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const empty = `/queue/${fresh('drain')}`;
    const q = `/queue/${fresh('after-drain')}`;
    await sendAll(b.url(), q, () => new Message({ body: 'after the drain' }), 1);
    const run = await provokeSessionError(b.url(), {
      provoke: (c, conn) => c.createReceiver(conn, empty),
      onLinkOpened: (e) => e.receiver?.drainCredit(5),
      afterwards: { address: q, count: 1 },
    });
    assert.deepEqual(
      run.sessionErrors.map((e) => e.condition),
      ['amqp:internal-error'],
    );
    assert.match(run.sessionErrors[0]!.description ?? '', /function_clause|send_drained/);
    assert.deepEqual(
      run.after.map((m) => m.body),
      ['after the drain'],
    );
    assert.equal(run.connectionOpen, true);
  });

  for (const [scenario, connect] of [
    ['sasl-anonymous', { allowedMechs: 'ANONYMOUS' }],
    ['sasl-plain', { ...GUEST, allowedMechs: 'PLAIN', allowInsecureMechs: true }],
  ] as const) {
    test(`rabbitmq › ${scenario}`, async (t) => {
      const b = broker(t);
      if (b === undefined) return;
      const q = `/queue/${fresh(scenario)}`;
      let mechanism: string | undefined;
      let product: unknown;
      assert.deepEqual(await sendAll(b.url(), q, () => new Message({ body: scenario }), 1, { connect }), [
        'accepted',
      ]);
      const [r] = await receiveAll(b.url(), q, 1, {
        connect,
        onOpened: (_r, e) => {
          mechanism = e.connection!.transport?.sasl?.mechanism;
          // Keys are symbols: compare by their text.
          const props = [...(e.connection!.remoteProperties ?? new Map())];
          product = props.find(([k]) => String(k) === 'product')?.[1];
        },
      });
      assert.equal(r!.message.body, scenario);
      assert.equal(mechanism, connect.allowedMechs);
      assert.equal(product, 'RabbitMQ');
    });
  }

  test('rabbitmq › bad-password', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const connect = { user: 'guest', password: 'wrong', allowedMechs: 'PLAIN', allowInsecureMechs: true };
    await assert.rejects(
      sendAll(b.url(), '/queue/never', () => new Message({ body: 'x' }), 1, { connect }),
      (e) => {
        assert.ok(e instanceof PeerError, String(e));
        assert.equal(e.condition, 'amqp:unauthorized-access');
        assert.deepEqual(e.outcomes, [undefined]);
        return true;
      },
    );
  });

  test('rabbitmq › tls-verify-peer-name', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const trusting = new SSLDomain(SSLDomain.MODE_CLIENT);
    trusting.setTrustedCaDb(b.caFile);
    trusting.setPeerAuthentication(SSLDomain.VERIFY_PEER_NAME);
    const url = `amqps://localhost:${b.tlsPort}`;
    const q = `/queue/${fresh('tls')}`;
    const connect = { sslDomain: trusting, ...GUEST };
    assert.deepEqual(await sendAll(url, q, () => new Message({ body: 'over TLS' }), 1, { connect }), [
      'accepted',
    ]);
    const [r] = await receiveAll(url, q, 1, { connect });
    assert.equal(r!.message.body, 'over TLS');
    // Without our CA, the same server is not trusted: the handshake fails, nothing is sent.
    const doubting = new SSLDomain(SSLDomain.MODE_CLIENT);
    await assert.rejects(
      sendAll(url, q, () => new Message({ body: 'x' }), 1, { connect: { sslDomain: doubting } }),
      (e) => {
        assert.ok(e instanceof PeerError, String(e));
        assert.match(`${e.condition} ${e.description}`, /SSL/);
        return true;
      },
    );
  });

  test('rabbitmq › address-forms', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const key = fresh('key');
    // A topic or exchange keeps nothing: the subscriber attaches first, the message is sent once it has.
    for (const address of [
      `/queue/${fresh('form')}`,
      `/topic/${key}`,
      `/exchange/amq.topic/${key}.x`,
      `/exchange/amq.direct/${key}`,
    ]) {
      const send = address.startsWith('/exchange/amq.topic/') ? `/topic/${key}.x` : address;
      let sending: Promise<unknown> | undefined;
      const got = await receiveAll(b.url(), address, 1, {
        onOpened: () => {
          sending = sendAll(b.url(), send, () => new Message({ subject: address, body: address }), 1);
        },
        timeoutMs: 15_000,
      });
      assert.deepEqual(await sending, ['accepted'], address);
      assert.equal(got[0]!.message.body, address);
    }
  });

  test('rabbitmq › idle-timeout', async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    // Our idle timeout 2 s (we advertise half, as Proton does), then 7 s of silence: 3.5 timeouts.
    const run = await quietConnection(b.url(), `/queue/${fresh('quiet')}`, 2000, 7000);
    assert.equal(run.remoteIdleTimeout, 60_000, 'RabbitMQ advertises 60 s');
    assert.ok(run.heartbeatsIn >= 6, `RabbitMQ kept us alive with heartbeats: ${run.heartbeatsIn}`);
    assert.equal(run.body, 'after the quiet');
    t.diagnostic(`heartbeats in 7 s: ${run.heartbeatsIn} from RabbitMQ, ${run.framesOut} frames from us`);
  });

  test('rabbitmq › reconnect', { timeout: 120_000 }, async (t) => {
    const b = broker(t);
    if (b === undefined) return;
    const N = 60;
    const run = await throughRestart(
      b.url(),
      `/queue/${fresh('durable')}`,
      N,
      100,
      20,
      async () => {
        await b.halt();
        await b.resume();
      },
      110_000,
    );
    assert.deepEqual(
      [...new Set(run.received)].sort(),
      Array.from({ length: N }, (_, i) => `message ${i}`).sort(),
    );
    assert.ok(run.disconnects.sender >= 1 && run.disconnects.receiver >= 1, JSON.stringify(run.disconnects));
    t.diagnostic(
      `${run.received.length} deliveries for ${N} messages; ${run.inDoubt} in doubt at the stop, sent again`,
    );
  });
});
