/**
 * Handshake limits: a SASL exchange that never ends, and a stream of empty frames, from the hostile
 * side. Over a socket, a client that starts SCRAM and never answers the challenge, and one that trickles
 * its header a byte at a time (which an idle timeout never catches), are cut off by the handshake
 * timeout with amqp:resource-limit-exceeded. On a bare Transport (time given by `tick`): the timeout's
 * clock, its option and its deadline; the empty-frame rate, its window and its option.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SaslChallenge, SaslInit } from '../../src/codec/index.js';
import { Transport } from '../../src/engine/index.js';
import { SERVER_SASL } from '../fixtures/traffic/record.js';
import { pair } from '../support/pair.js';
import {
  AMQP_HEADER,
  assertHeapBack,
  assertServes,
  frame,
  OPEN,
  RawPeer,
  SASL_HEADER,
  type Server,
  settledHeap,
  startServer,
} from './hostile.js';

const HANDSHAKE_MS = 400;

/** A transport's condition, read through a call (so that an earlier check does not narrow it). */
function conditionOf(t: Transport) {
  return t.condition;
}
const SCRAM_INIT = frame(
  Object.assign(new SaslInit(), {
    mechanism: 'SCRAM-SHA-256',
    initialResponse: Buffer.from('n,,n=alice,r=abcdefgh'),
  }),
  0,
  1,
);

let server: Server;
before(async () => {
  server = await startServer({ sasl: { ...SERVER_SASL, optional: true }, handshakeTimeout: HANDSHAKE_MS });
  await assertServes(server);
});
after(() => server.stop());

describe('a SASL exchange that never ends, over a socket', () => {
  it('a client that never answers the challenge is cut off with resource-limit-exceeded', async () => {
    const heap = settledHeap();
    const peer = await RawPeer.connect(server.port);
    const started = Date.now();
    peer.write(Buffer.concat([SASL_HEADER, SCRAM_INIT]));
    await peer.serverClosed();
    const took = Date.now() - started;
    assert.ok(took >= HANDSHAKE_MS - 50 && took < HANDSHAKE_MS + 2000, `cut off after ${took} ms`);
    const units = peer.units();
    assert.ok(
      units.some((u) => u.body instanceof SaslChallenge),
      'the challenge went out',
    );
    assert.ok(
      server.watcher.errors.some(
        (e) =>
          e.name === 'amqp:resource-limit-exceeded' &&
          /SASL exchange did not complete/.test(e.description ?? ''),
      ),
      JSON.stringify(server.watcher.errors),
    );
    peer.destroy();
    await assertServes(server);
    await assertHeapBack(heap, 'endless SASL');
  });

  it('a client that trickles its header a byte at a time is cut off all the same', async () => {
    const peer = await RawPeer.connect(server.port);
    const errors = server.watcher.errors.length;
    const started = Date.now();
    const timer = setInterval(() => {
      const i = Math.floor((Date.now() - started) / 50);
      if (!peer.socket.destroyed && i < SASL_HEADER.length - 1) peer.write(SASL_HEADER.subarray(i, i + 1));
    }, 50);
    try {
      await peer.serverClosed();
    } finally {
      clearInterval(timer);
    }
    assert.ok(Date.now() - started < HANDSHAKE_MS + 2000);
    const mine = server.watcher.errors.slice(errors);
    assert.ok(
      mine.some(
        (e) => e.name === 'amqp:resource-limit-exceeded' && /protocol header/.test(e.description ?? ''),
      ),
      JSON.stringify(mine),
    );
    peer.destroy();
  });

  it('a client that completes its handshake in time is not affected', async () => {
    const peer = await RawPeer.connect(server.port);
    peer.write(Buffer.concat([AMQP_HEADER, OPEN]));
    await new Promise((r) => setTimeout(r, HANDSHAKE_MS + 300));
    assert.equal(peer.socket.destroyed, false);
    assert.ok(peer.units().some((u) => u.body?.constructor.name === 'Open'));
    peer.destroy();
    await peer.closed;
  });
});

describe('handshake timeout and empty-frame rate on a transport', () => {
  it('the handshake clock starts at the first tick; its deadline is reported; 0 turns it off', () => {
    const t = new Transport({ server: true, handshakeTimeout: 1000 });
    assert.equal(t.tick(5000), 6000, 'the deadline of the handshake');
    t.push(AMQP_HEADER.subarray(0, 4));
    assert.equal(t.tick(5999), 6000);
    assert.equal(t.condition, undefined);
    t.tick(6000);
    assert.equal(conditionOf(t)?.name, 'amqp:resource-limit-exceeded');
    assert.match(conditionOf(t)?.description ?? '', /protocol header exchange did not complete in 1000 ms/);
    // Done in time: the limit is gone.
    const ok = pair({ server: { handshakeTimeout: 1000 } }).server.transport;
    ok.tick(0);
    ok.push(AMQP_HEADER);
    assert.equal(ok.tick(10_000), 0);
    assert.equal(ok.condition, undefined);
    const off = new Transport({ server: true, handshakeTimeout: 0 });
    assert.equal(off.tick(0), 0);
    assert.equal(off.tick(1e9), 0);
    assert.equal(off.condition, undefined);
    assert.equal(new Transport().handshakeTimeout, 30_000, 'the default');
  });

  it('empty frames: up to the rate a second is fine, past it the connection closes', () => {
    const empties = (n: number) => Buffer.concat(Array(n).fill(Buffer.from('0000000802000000', 'hex')));
    const side = pair({ server: { maxEmptyFrameRate: 100 } }).server;
    const t = side.transport;
    t.push(Buffer.concat([AMQP_HEADER, OPEN]));
    t.tick(0);
    // 100 a second for ten seconds: heartbeats at a high but allowed rate.
    for (let s = 1; s <= 10; s++) {
      t.push(empties(100));
      t.tick(s * 1000);
    }
    assert.equal(t.condition, undefined, String(t.condition));
    assert.equal(t.emptyFramesInput, 1000);
    t.push(empties(101));
    t.tick(10_500);
    assert.equal(conditionOf(t)?.name, 'amqp:resource-limit-exceeded');
    assert.match(conditionOf(t)?.description ?? '', /101 empty frames in 500 ms: more than 100 a second/);
    // 0: no limit.
    const free = pair({ server: { maxEmptyFrameRate: 0 } }).server.transport;
    free.push(Buffer.concat([AMQP_HEADER, OPEN]));
    free.tick(0);
    free.push(empties(100_000));
    free.tick(1);
    assert.equal(free.condition, undefined);
    assert.equal(new Transport().maxEmptyFrameRate, 1000, 'the default');
  });
});
