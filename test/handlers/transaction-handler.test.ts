/**
 * TransactionHandler and TransactionalClientHandler: the five transaction callbacks, manual accept by
 * default, and accept(delivery, transaction) going through the transaction.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Accepted } from '../../src/codec/composite-types.js';
import type { Event } from '../../src/container/event.js';
import type { Delivery, Sender } from '../../src/engine/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { MessagingHandler } from '../../src/handlers/messaging-handler.js';
import {
  TransactionalClientHandler,
  TransactionHandler,
  type TransactionLike,
} from '../../src/handlers/transaction-handler.js';
import { fire, linkNamed, openLink, peers, Recorder, run, send } from './loop.js';

const TX_EVENTS = [
  'transaction_declared',
  'transaction_committed',
  'transaction_aborted',
  'transaction_declare_failed',
  'transaction_commit_failed',
];

describe('TransactionHandler', () => {
  it('has the five callbacks, doing nothing', () => {
    const h = new TransactionHandler();
    const unhandled: string[] = [];
    h.onUnhandled = (m) => unhandled.push(m);
    for (const t of TX_EVENTS) assert.doesNotThrow(() => fire(h, t, undefined));
    assert.deepEqual(unhandled, []);
  });

  it('a subclass gets event.transaction', () => {
    const seen: unknown[] = [];
    class Mine extends TransactionHandler {
      override onTransactionDeclared(e: Event) {
        seen.push(e.transaction);
      }
    }
    const h = new Mine();
    const e = fire(h, 'reactor_init', undefined);
    e.transaction = 'ignored';
    const t = { id: 'txn-1' };
    const ev = new (e.constructor as typeof Event)('transaction_declared', undefined, e.container);
    ev.transaction = t;
    h.onTransactionDeclared(ev);
    assert.deepEqual(seen, [t]);
  });
});

describe('TransactionalClientHandler', () => {
  it('is a MessagingHandler with prefetch 10 and manual accept unless asked', () => {
    const h = new TransactionalClientHandler();
    assert.ok(h instanceof MessagingHandler);
    assert.deepEqual([h.prefetch, h.autoAccept, h.autoSettle, h.peerCloseIsError], [10, false, true, false]);
    assert.equal(new TransactionalClientHandler({ autoAccept: true }).autoAccept, true);
    assert.equal(new TransactionalClientHandler({ autoAccept: undefined }).autoAccept, false);
    assert.equal(new TransactionalClientHandler({ prefetch: 0 }).prefetch, 0);
    for (const t of TX_EVENTS) assert.doesNotThrow(() => fire(h, t, undefined));
  });

  it('checks its options as a MessagingHandler does', () => {
    assert.throws(
      () => new TransactionalClientHandler({ autoAccept: 'no' } as never),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'autoAccept',
    );
    assert.throws(
      () => new TransactionalClientHandler({ txn: 1 } as never),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'txn',
    );
    assert.throws(
      () => new TransactionalClientHandler(7 as never),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'options',
    );
  });

  it('accept(delivery, transaction) hands the delivery to the transaction; accept(delivery) accepts', () => {
    const got: Delivery[] = [];
    class App extends TransactionalClientHandler {
      override onMessage(e: Event) {
        got.push(e.delivery!);
      }
    }
    const app = new App();
    const s = new Recorder();
    const { client, server } = peers(app, s);
    openLink(client, server, 'q', false);
    const snd = linkNamed<Sender>(server, 'q', true);
    send(snd, 'in-txn');
    send(snd, 'plain');
    run(client, server);
    assert.equal(got.length, 2);
    assert.equal(got[0]!.settled, false, 'not accepted automatically');
    const taken: Delivery[] = [];
    const txn: TransactionLike = { accept: (d) => taken.push(d) };
    app.accept(got[0]!, txn);
    assert.deepEqual(taken, [got[0]]);
    assert.equal(got[0]!.settled, false, 'left to the transaction');
    app.accept(got[1]!);
    assert.ok(got[1]!.local instanceof Accepted);
    assert.equal(got[1]!.settled, true);
    run(client, server);
    assert.deepEqual(
      s.seen(
        'sendable',
        'connection_opening',
        'session_opening',
        'link_opening',
        'connection_opened',
        'session_opened',
        'link_opened',
      ),
      ['accepted', 'settled'],
    );
  });
});
