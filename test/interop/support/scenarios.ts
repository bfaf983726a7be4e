/**
 * Scenario bodies shared by the peers' test files: each runs proton-ts against a peer already started
 * and asserts what came through (content and types, not only counts). A peer's file names the test
 * (`<peer> › <scenario> (<direction>)`) and calls these.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { AmqpValue } from '../../../src/codec/types.js';
import { Backoff } from '../../../src/container/backoff.js';
import type { Delivery } from '../../../src/engine/delivery.js';
import { Message } from '../../../src/message/message.js';
import { Scope, sleep, until, within } from '../../support/container-harness.js';
import { outcomeName, receiveAll, ScenarioHandler, sendAll } from './clients.js';
import type { Peer } from './peer.js';
import { assertSameDump, dumpOf, messageOf, typedDumps } from './typed-message.js';

/** The messages of the counting scenarios: id n, body {sequence: n}. */
export function sequenceMessages(count: number, from = 0): Message[] {
  return Array.from({ length: count }, (_, i) => new Message({ id: from + i, body: { sequence: from + i } }));
}

/** The sequence number a counting message carries, checking that its id says the same. */
export function sequenceOf(m: Message): number {
  const body = m.body as Map<AmqpValue, AmqpValue>;
  assert.ok(body instanceof Map, `a map body, not ${String(m.body)}`);
  let n = body.get('sequence');
  // Proton C's examples send an int (an Int here), rhea a uint or ulong; Python and we a long (a number).
  if (typeof n === 'object' && n !== null && 'value' in n) n = Number(n.value);
  assert.equal(typeof n, 'number');
  assert.equal(Number(m.id), n, 'id and sequence agree');
  return n as number;
}

/** Fails unless `got` is exactly 0..count-1 (plus `from`), in order, naming the first gap or repeat. */
export function assertSequence(got: readonly number[], count: number, from = 0): void {
  for (let i = 0; i < Math.max(got.length, count); i++) {
    if (got[i] !== from + i) {
      assert.fail(
        `message ${from + i} expected at position ${i}, got ${got[i]} (${got.length} received of ${count})`,
      );
    }
  }
}

/** A body of `size` bytes that differ along its length (so that a misplaced frame shows). */
export function bigBody(size: number, seed = 1): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1664525 + 1013904223) >>> 0;
    b.writeUInt32LE(x, Math.min(i, size - 4));
  }
  return b;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Through a broker peer: a proton-ts sender and receiver at once on `address`, `count` counting
 * messages; every one accepted (at least once) and all received once, in order.
 */
export async function countThrough(
  scope: Scope,
  url: string,
  address: string,
  count: number,
  atMostOnce: boolean,
): Promise<void> {
  const receiving = receiveAll(scope, { url, address, count, atMostOnce, prefetch: 500, timeoutMs: 90_000 });
  // The receiver attaches first, so that a broker that drops messages without a consumer cannot.
  await sleep(200);
  const sent = await sendAll(scope, {
    url,
    address,
    messages: sequenceMessages(count),
    atMostOnce,
    timeoutMs: 90_000,
  });
  const received = await receiving;
  assert.deepEqual(sent.errors, []);
  assert.deepEqual(received.errors, []);
  if (!atMostOnce) {
    const names = sent.outcomes.map(outcomeName);
    const notAccepted = names.findIndex((n) => n !== 'accepted');
    assert.equal(notAccepted, -1, `message ${notAccepted}: ${names[notAccepted]}`);
  }
  assertSequence(received.messages.map(sequenceOf), count);
}

/**
 * Through a broker peer: one message of `size` bytes (a data body) sent and received by proton-ts; the
 * receiver allows frames of 64 KiB only, so the broker must split it, as our sender must when the broker
 * asks for small frames.
 */
export async function bigThrough(scope: Scope, url: string, address: string, size: number): Promise<void> {
  const body = bigBody(size, size);
  const receiving = receiveAll(scope, {
    url,
    address,
    count: 1,
    connect: { maxFrameSize: 65536 },
    timeoutMs: 60_000,
  });
  await sleep(200);
  const m = new Message({ id: 'big', body, bodyKind: 'data', properties: { size } });
  const sent = await sendAll(scope, { url, address, messages: [m], timeoutMs: 60_000 });
  assert.equal(outcomeName(sent.outcomes[0]), 'accepted');
  const [got] = (await receiving).messages;
  assert.ok(got, 'the message came');
  const gotBody = got.body as Uint8Array;
  assert.ok(gotBody instanceof Uint8Array, 'a binary body');
  assert.equal(gotBody.length, size);
  assert.equal(sha256(gotBody), sha256(body), 'the same bytes');
  assert.equal(got.bodyKind, 'data');
  assert.deepEqual(got.properties, { size });
}

/** Through a broker peer: the typed messages sent by proton-ts and received by proton-ts, type by type. */
export async function typesThrough(scope: Scope, url: string, address: string): Promise<void> {
  const dumps = typedDumps();
  const sent = await sendAll(scope, { url, address, messages: dumps.map((d, i) => messageOf(d, { id: i })) });
  assert.deepEqual(sent.outcomes.map(outcomeName), ['accepted', 'accepted', 'accepted']);
  const got = await receiveAll(scope, { url, address, count: dumps.length });
  got.messages.forEach((m, i) => {
    assertSameDump(dumpOf(m), dumps[i]!, `message ${i} (${dumps[i]!.body_kind} body)`);
  });
}

/**
 * Idle timeout: a connection with `heartbeatMs` (we fail it when the peer is silent that long, and
 * advertise half) stays quiet, links open, for 3.5 timeouts; then a message still goes through it to our
 * own receiver on the same connection. Only the peer's heartbeats can have kept it open. Returns the idle
 * timeout the peer advertised (0 for none).
 */
export async function quietThenSend(
  scope: Scope,
  url: string,
  address: string,
  heartbeatMs: number,
): Promise<number> {
  const h = new ScenarioHandler();
  let opened = 0;
  let received: Message | undefined;
  let remoteIdle = -1;
  const quietMs = Math.round(heartbeatMs * 3.5);
  h.hooks = {
    onLinkOpened(e) {
      if (++opened < 2) return;
      remoteIdle = e.transport?.remoteIdleTimeout ?? -1;
      c.schedule(quietMs, {
        onTimerTask: () => {
          sender.send(new Message({ id: 'after-quiet', body: 'still here' }));
        },
      });
    },
    onMessage(e) {
      received = e.message;
      e.connection?.close();
    },
  };
  const c = scope.container(h);
  const conn = c.connect(url, { reconnect: false, heartbeat: heartbeatMs });
  // Two names: some peers (rhea) key links by name alone.
  c.createReceiver(conn, address, { name: `${address}-in` });
  const sender = c.createSender(conn, address, { name: `${address}-out` });
  await within(quietMs + 10_000, 'the message after the quiet time', c.run());
  assert.deepEqual(h.errors, [], 'no error while quiet');
  assert.equal(h.count('onDisconnected'), 0, 'the connection was never lost');
  assert.equal(received?.body, 'still here');
  return remoteIdle;
}

/**
 * Reconnect: a proton-ts sender (two messages every 10 ms) and receiver, both with reconnect, run through
 * a broker peer. Once `stopAfter` messages have arrived, the sender holds back until the broker has
 * handed on all it accepted and until the peer is stopped (an in-memory broker forgets its queues when
 * it stops, and one killed between accepting and forwarding loses that message: the broker's loss, not
 * ours); then the sender goes on sending into the lost connection, and the peer is started again on the
 * same port `downMs` later. The sender sends again whatever had no
 * outcome when the connection went; the receiver must end with every message (duplicates allowed: at
 * least once). Returns the duplicates and how many times each side lost its connection.
 */
export async function reconnectThrough(
  scope: Scope,
  url: string,
  address: string,
  stop: () => Promise<unknown>,
  start: () => Promise<unknown>,
  { count = 400, stopAfter = 150, downMs = 700 } = {},
): Promise<{ duplicates: number; senderDisconnects: number; receiverDisconnects: number }> {
  const seen = new Set<number>();
  let duplicates = 0;
  let bounced = false;
  // The sender: started (its first link opened), linked (attached now), held (waiting for the broker).
  let started = false;
  let linked = false;
  let held = false;
  let bounce: Promise<void> | undefined;
  const rh = new ScenarioHandler({ prefetch: 50 });
  rh.hooks = {
    onMessage(e) {
      const n = sequenceOf(e.message!);
      if (seen.has(n)) duplicates++;
      seen.add(n);
      if (!bounced && seen.size >= stopAfter) {
        bounced = true;
        bounce = (async () => {
          held = true;
          await until(
            10_000,
            'the broker hands on what it accepted',
            () => inFlight.size === 0 && seen.size >= accepted.size,
          );
          await stop();
          held = false;
          await sleep(downMs);
          await start();
        })();
      }
      if (seen.size === count) e.connection?.close();
    },
  };
  const accepted = new Set<number>();
  const inFlight = new Map<Delivery, number>();
  const queue = Array.from({ length: count }, (_, i) => i);
  const sh = new ScenarioHandler();
  const pace = () => {
    for (let k = 0; k < 2 && !held && linked && sender.credit > 0 && queue.length > 0; k++) {
      const n = queue.shift()!;
      inFlight.set(sender.send(new Message({ id: n, body: { sequence: n } })), n);
    }
    if (accepted.size < count) sc.schedule(10, { onTimerTask: pace });
  };
  sh.hooks = {
    onLinkOpened() {
      linked = true;
      if (!started) {
        started = true;
        pace();
      }
    },
    onAccepted(e) {
      const n = inFlight.get(e.delivery!);
      if (n === undefined) return;
      inFlight.delete(e.delivery!);
      accepted.add(n);
      if (accepted.size === count) e.connection?.close();
    },
    onDisconnected() {
      linked = false;
      // Whatever had no outcome goes again, first.
      queue.unshift(...[...inFlight.values()].sort((a, b) => a - b));
      inFlight.clear();
    },
  };
  const again = { reconnect: new Backoff({ initial: 50, maxDelay: 200 }) };
  const rc = scope.container(rh);
  rc.createReceiver(rc.connect(url, again), address);
  await sleep(200);
  const sc = scope.container(sh);
  const sender = sc.createSender(sc.connect(url, again), address);
  await within(
    60_000,
    () => `reconnect: ${seen.size} of ${count} received, ${accepted.size} accepted`,
    Promise.all([rc.run(), sc.run()]),
  );
  await bounce;
  assert.ok(bounced, 'the peer was stopped and started');
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  assert.deepEqual(missing, [], 'nothing lost');
  assert.ok(rh.count('onDisconnected') >= 1 && sh.count('onDisconnected') >= 1, 'both sides saw the peer go');
  return {
    duplicates,
    senderDisconnects: sh.count('onDisconnected'),
    receiverDisconnects: rh.count('onDisconnected'),
  };
}

/**
 * The counting and big-message tests through a broker peer (`${p} › <scenario> ${through}`): 10,000
 * messages at least once and at most once ({@link countThrough}), then 1 MiB and 16 MiB bodies
 * ({@link bigThrough}); each skipped when the peer did not start.
 */
export function countAndBigThroughTests(p: string, through: string, peer: Peer, url: () => string): void {
  test(`${p} › 10k-at-least-once ${through}`, async (t) => {
    if (!peer.require(t)) return;
    await countThrough(new Scope(t), url(), 'alo', 10_000, false);
  });

  test(`${p} › 10k-at-most-once ${through}`, async (t) => {
    if (!peer.require(t)) return;
    await countThrough(new Scope(t), url(), 'amo', 10_000, true);
  });

  for (const [name, size] of [
    ['1MiB', 1 << 20],
    ['16MiB', 16 << 20],
  ] as const) {
    test(`${p} › ${name} ${through}`, async (t) => {
      if (!peer.require(t)) return;
      await bigThrough(new Scope(t), url(), `big-${name}`, size);
    });
  }
}

/** A handler keeping the sequence number ({@link sequenceOf}) of each message it is given, in `got`. */
export function sequenceCollector(): { handler: ScenarioHandler; got: number[] } {
  const got: number[] = [];
  const handler = new ScenarioHandler();
  handler.hooks = {
    onMessage(e) {
      got.push(sequenceOf(e.message!));
    },
  };
  return { handler, got };
}
