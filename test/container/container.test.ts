/**
 * The Container over real loopback sockets: two containers in one process, one listening, one
 * connecting (every server on 127.0.0.1 and a free port, everything stopped at the end of each test,
 * every wait with a deadline).
 *
 * - helloworld, and the callbacks of MessagingHandler as Proton 0.37 raises them (reference 2.3, 2.4):
 *   opens, closes, errors, disconnects, transport errors, aborted deliveries;
 * - acknowledgement: auto and manual accept and settle, Reject and Release thrown from onMessage, the
 *   acking helpers (reject, release delivered or not), settlement seen on both sides;
 * - prefetch 0 with credit given by hand; a dynamic receiver; link options as the peer sees them;
 * - schedule (12,345 timers, cancelled ones never fire); exceptions; stop(); handler precedence; run()
 *   ending by itself.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Accepted,
  AmqpError,
  AmqpSymbol,
  Described,
  Modified,
  Rejected,
  Released,
} from '../../src/codec/index.js';
import type { Container } from '../../src/container/container.js';
import type { Event } from '../../src/container/event.js';
import {
  AtLeastOnce,
  AtMostOnce,
  Copy,
  DurableSubscription,
  DynamicNodeProperties,
  Filter,
  Move,
  Selector,
} from '../../src/container/link-options.js';
import type { Task } from '../../src/container/task.js';
import { Condition } from '../../src/engine/condition.js';
import type { Delivery } from '../../src/engine/delivery.js';
import { State } from '../../src/engine/endpoint.js';
import type { Link, Receiver } from '../../src/engine/link.js';
import { Reject, Release } from '../../src/errors.js';
import { Message } from '../../src/message/message.js';
import {
  freePort,
  HOST,
  isListening,
  QueueServer,
  Recorder,
  runAll,
  Scope,
  sleep,
  within,
} from '../support/container-harness.js';

const tagOf = (d: Delivery | undefined): string => (d === undefined ? '?' : Buffer.from(d.tag).toString());
const nameOf = (e: Event): string => e.link?.name ?? '?';

/** Runs `fn` in `ms` milliseconds, on the container's loop (a scheduled task). */
function later(container: Container, ms: number, fn: () => void): Task {
  return container.schedule(ms, { onTimerTask: fn });
}

/** A listening container serving `handler`; its acceptor is closed once `closeAfter` connections closed. */
async function serve(
  scope: Scope,
  handler: Recorder,
  closeAfter = 1,
): Promise<{ container: Container; port: number; close(): void }> {
  const container = scope.container(handler, { containerId: 'server' });
  const acceptor = await container.listen(`${HOST}:0`);
  const hook = handler.hooks.onConnectionClosed;
  let closed = 0;
  handler.hooks.onConnectionClosed = function (e) {
    hook?.call(this, e);
    if (++closed === closeAfter) acceptor.close();
  };
  return { container, port: acceptor.port, close: () => acceptor.close() };
}

describe('Container over loopback sockets', { timeout: 60_000 }, () => {
  test('helloworld: a message goes through a listening container and back; run() resolves on both sides', async (t) => {
    const scope = new Scope(t);
    const broker = new QueueServer();
    const server = await serve(scope, broker);
    const received: unknown[] = [];
    const client = new Recorder(
      { lowLevel: true },
      {
        onStart() {
          const c = cc.connect(`${HOST}:${server.port}`, { reconnect: false });
          cc.createReceiver(c, 'examples');
          cc.createSender(c, 'examples');
        },
        onSendable(e) {
          e.sender!.send(new Message({ body: 'Hello World!' }));
          e.sender!.close();
        },
        onMessage(e) {
          received.push(e.message!.body);
          remoteId = e.connection!.remoteContainerId;
          e.connection!.close();
        },
      },
    );
    let remoteId: string | undefined;
    const cc = scope.container(client, { containerId: 'client' });
    const t0 = performance.now();
    await runAll(5000, 'helloworld', server.container, cc);
    t.diagnostic(`helloworld in ${(performance.now() - t0).toFixed(0)} ms`);

    assert.deepEqual(received, ['Hello World!']);
    assert.equal(remoteId, 'server', "the accepted connection's open carries the listening container's id");
    // The callbacks of Proton 0.37's helloworld against broker.py, in its order (reference 2.4).
    assert.deepEqual(client.callbacks, [
      'onStart',
      'onConnectionOpened',
      'onSessionOpened',
      'onLinkOpened',
      'onLinkOpened',
      'onSendable',
      'onMessage',
      'onAccepted',
      'onSettled',
      'onLinkClosed',
      'onConnectionClosed',
    ]);
    // onUnhandled gets every engine event the handler has no method for, even those its children
    // handle, and before them: the flow before the sendable, the delivery before the message (2.1).
    for (const low of [
      '~onConnectionInit',
      '~onConnectionRemoteOpen',
      '~onLinkFlow',
      '~onDelivery',
      '~onTransport',
    ])
      assert.ok(client.calls.includes(low), `onUnhandled('${low.slice(1)}')`);
    assert.equal(client.calls[client.calls.indexOf('onSendable') - 1], '~onLinkFlow');
    assert.equal(client.calls[client.calls.indexOf('onMessage') - 1], '~onDelivery');
    const opened = client.events.filter((e) => e.type === 'link_opened');
    assert.deepEqual(
      opened.map((e) => [e.link?.isSender, e.link?.name]),
      [
        [false, 'client-examples'],
        [true, 'client-examples'],
      ],
      'the receiver then the sender, named <container-id>-<address>',
    );
    // The peer-initiated side: each opening before the opened, the closing before the closed (the
    // closed after a peer's close is Proton main's; 0.37 gave none). The client sends both attaches and
    // then the receiver's flow, as Proton's helloworld does (attach, attach, flow in its frame trace), so
    // the server's sender is sendable once both links are opening, before the local-open events that
    // raise the opened callbacks; it is sendable again after each transfer while credit remains (the
    // local flow), as in Proton.
    assert.deepEqual(broker.callbacks, [
      'onStart',
      'onConnectionOpening',
      'onSessionOpening',
      'onLinkOpening',
      'onLinkOpening',
      'onSendable',
      'onConnectionOpened',
      'onSessionOpened',
      'onLinkOpened',
      'onLinkOpened',
      'onMessage',
      'onLinkClosing',
      'onLinkClosed',
      'onSendable',
      'onAccepted',
      'onSettled',
      'onConnectionClosing',
      'onConnectionClosed',
    ]);
    assert.deepEqual(
      broker.attached.map((a) => [a.role, a.address]),
      [
        ['sender', 'examples'],
        ['receiver', 'examples'],
      ],
    );
  });
  test('closes and errors started by the peer: on*Closing, on*Error, on*Closed, peerCloseIsError', async (t) => {
    // One connection per case; the server does to it what its link's name says, once the link is open.
    const cond = new Condition('amqp:not-allowed', 'refused by the test');
    const cases: {
      name: string;
      peerCloseIsError?: boolean;
      expected: string[];
      condition?: string;
    }[] = [
      {
        name: 'link-error',
        // The default onLinkError closes the connection.
        expected: ['onLinkError', 'onLinkClosed', 'onConnectionClosed'],
        condition: 'amqp:not-allowed',
      },
      {
        name: 'session-error',
        // The default onSessionError closes the connection.
        expected: ['onSessionError', 'onSessionClosed', 'onConnectionClosed'],
        condition: 'amqp:not-allowed',
      },
      {
        name: 'connection-error',
        expected: ['onConnectionError', 'onConnectionClosed'],
        condition: 'amqp:not-allowed',
      },
      // Closed by the peer without a condition: closing, then closed once answered here (the test's
      // hook closes the connection after the link's closed).
      { name: 'link-close', expected: ['onLinkClosing', 'onLinkClosed', 'onConnectionClosed'] },
      {
        name: 'link-close',
        peerCloseIsError: true,
        expected: ['onLinkError', 'onLinkClosed', 'onConnectionClosed'],
      },
      { name: 'session-close', expected: ['onSessionClosing', 'onSessionClosed', 'onConnectionClosed'] },
      { name: 'connection-close', expected: ['onConnectionClosing', 'onConnectionClosed'] },
      {
        name: 'connection-close',
        peerCloseIsError: true,
        expected: ['onConnectionError', 'onConnectionClosed'],
      },
    ];
    const scope = new Scope(t);
    const broker = new QueueServer(
      {},
      {
        onLinkOpened(e) {
          const what = nameOf(e).replace(/^client-/, '');
          if (what === 'link-error') e.link!.close(cond);
          // A session ended at once would take its link's attach with it: the end waits for the attach.
          if (what === 'session-error') later(server.container, 20, () => e.session!.close(cond));
          if (what === 'connection-error') e.connection!.close(cond);
          if (what === 'link-close') e.link!.close();
          if (what === 'session-close') later(server.container, 20, () => e.session!.close());
          if (what === 'connection-close') e.connection!.close();
        },
      },
    );
    const server = await serve(scope, broker, cases.length);
    const recorders = cases.map(
      (c) =>
        new Recorder(
          { peerCloseIsError: c.peerCloseIsError ?? false },
          {
            onLinkClosed(e) {
              if (e.connection!.localState === State.LOCAL_ACTIVE) e.connection!.close();
            },
            onSessionClosed(e) {
              if (e.connection!.localState === State.LOCAL_ACTIVE) e.connection!.close();
            },
          },
        ),
    );
    const cc = scope.container({ containerId: 'client' });
    cases.forEach((c, i) => {
      const conn = cc.connect(`${HOST}:${server.port}`, { reconnect: false, handler: recorders[i] });
      cc.createSender(conn, c.name);
    });
    await runAll(5000, 'every case ends', server.container, cc);
    cases.forEach((c, i) => {
      const r = recorders[i]!;
      const what = `${c.name}${c.peerCloseIsError ? ' (peerCloseIsError)' : ''}`;
      assert.deepEqual(
        r.callbacks.filter((name) => name !== 'onSendable'),
        ['onConnectionOpened', 'onSessionOpened', 'onLinkOpened', ...c.expected],
        `${what}: callbacks`,
      );
      if (c.condition !== undefined) {
        const errorEvent = r.events.find((e) => e.type.endsWith('_error'))!;
        const ep =
          errorEvent.type === 'link_error'
            ? errorEvent.link
            : errorEvent.type === 'session_error'
              ? errorEvent.session
              : errorEvent.connection;
        assert.equal(ep?.remoteCondition?.name, c.condition, `${what}: the peer's condition`);
        assert.equal(ep?.remoteCondition?.description, 'refused by the test');
      }
    });
  });

  test('the peer vanishing: onDisconnected once, then no more; a refused connect: onTransportError', async (t) => {
    const scope = new Scope(t);
    const broker = new QueueServer(
      {},
      { onLinkOpened: () => later(server.container, 20, () => server.container.stop()) },
    );
    const server = await serve(scope, broker);
    const client = new Recorder();
    const cc = scope.container(client, { containerId: 'client' });
    const conn = cc.connect(`${HOST}:${server.port}`, { reconnect: false });
    cc.createSender(conn, 'q');
    await runAll(5000, 'the server stops, the client gives up', server.container, cc);
    assert.deepEqual(client.callbacks.slice(0, 4), [
      'onStart',
      'onConnectionOpened',
      'onSessionOpened',
      'onLinkOpened',
    ]);
    const after = client.callbacks.slice(4).filter((c) => c !== 'onSendable');
    assert.equal(client.count('onDisconnected'), 1, `once per lost transport: ${after.join(', ')}`);
    assert.ok(
      after.every((c) => c === 'onDisconnected' || c === 'onTransportError'),
      `nothing but onDisconnected and onTransportError after the loss: ${after.join(', ')}`,
    );
    assert.equal(conn.localState, State.LOCAL_ACTIVE, 'the connection is still open here');
    // Proton's condition for a peer gone without a close. (Proton 0.37 raises on_disconnected before
    // on_transport_error here; the order is not asserted.)
    assert.equal(client.count('onTransportError'), 1);
    const te = client.events.find((e) => e.type === 'transport_error')!;
    assert.equal(te.transport?.condition?.name, 'amqp:connection:framing-error');
    assert.equal(te.transport?.condition?.description, 'connection aborted');
    t.diagnostic(`after the loss: ${after.join(', ')}`);

    // Nothing listens: the transport fails with the reason, then onDisconnected (the connection is
    // open here), as Proton's `Connection refused to all addresses`.
    const dead = await freePort();
    const refused = new Recorder();
    const c2 = scope.container(refused);
    c2.connect(`${HOST}:${dead}`, { reconnect: false });
    await runAll(5000, 'a refused connect ends', c2);
    assert.deepEqual(refused.callbacks, ['onStart', 'onTransportError', 'onDisconnected']);
    const cond = refused.events[1]!.transport?.condition;
    assert.ok(cond !== undefined, 'the transport carries a condition');
    assert.match(`${cond.name} ${cond.description}`, /refused|ECONNREFUSED/i);
  });

  test('onAborted: the sender aborts a delivery half sent; the next one arrives whole', async (t) => {
    const scope = new Scope(t);
    let aborting: Delivery | undefined;
    const broker = new QueueServer(
      {},
      {
        onSendable(e) {
          if (aborting !== undefined) return;
          const s = e.sender!;
          aborting = s.delivery('aborted');
          // Half a message: the transfer goes out with more=true.
          s.stream(new Message({ body: 'x'.repeat(10_000) }).encode().subarray(0, 5000));
          setTimeout(() => {
            aborting!.abort();
            s.send(new Message({ body: 'after' }), 'whole');
            server.container.requestTurn();
          }, 50);
        },
      },
    );
    const server = await serve(scope, broker);
    const bodies: unknown[] = [];
    const client = new Recorder(
      {},
      {
        onMessage(e) {
          bodies.push(e.message!.body);
          e.connection!.close();
        },
      },
    );
    const cc = scope.container(client);
    cc.createReceiver(cc.connect(`${HOST}:${server.port}`, { reconnect: false }), 'q');
    await runAll(5000, 'abort then a message', server.container, cc);
    assert.equal(client.count('onAborted'), 1);
    const aborted = client.events.find((e) => e.type === 'aborted')!;
    assert.equal(tagOf(aborted.delivery), 'aborted');
    assert.ok(aborted.delivery!.settled, 'the aborted delivery is settled here after onAborted');
    assert.deepEqual(bodies, ['after']);
    const i = client.callbacks.indexOf('onAborted');
    assert.ok(i < client.callbacks.indexOf('onMessage'));
  });
  test('acknowledgement by hand: accept, reject, release (delivered or not), settle, seen on both sides', async (t) => {
    // The receiver (autoAccept off) answers message n by n % 5: accept, reject, release (modified,
    // delivery-failed), release undelivered (released), accept without settling. The sender (autoSettle
    // off) settles each by hand once it knows the outcome; the last one's receiver then sees onSettled.
    const scope = new Scope(t);
    const N = 10;
    const outcomes = new Map<string, { callback: string; state: unknown; settledHere: boolean }>();
    const receiverSettled: string[] = [];
    let unsettled = 0;
    const broker = new QueueServer(
      { autoAccept: false },
      {
        onMessage(e) {
          const d = e.delivery!;
          const n = e.message!.id as number;
          assert.equal(d.settled, false, 'not settled before onMessage returns');
          switch (n % 5) {
            case 0:
              this.accept(d);
              break;
            case 1:
              this.reject(d, { name: 'amqp:invalid-field', description: `bad ${n}` });
              break;
            case 2:
              this.release(d);
              break;
            case 3:
              this.release(d, false);
              break;
            case 4:
              d.update(new Accepted());
              unsettled++;
              break;
          }
        },
        onSettled(e) {
          receiverSettled.push(tagOf(e.delivery));
        },
      },
    );
    const server = await serve(scope, broker);
    let sent = 0;
    let settledByHand = 0;
    const note = (callback: string) =>
      function (this: Recorder, e: Event) {
        const d = e.delivery!;
        outcomes.set(tagOf(d), { callback, state: d.remote, settledHere: d.settled });
      };
    const client = new Recorder(
      { autoSettle: false },
      {
        onSendable(e) {
          while (e.sender!.credit > 0 && sent < N) e.sender!.send(new Message({ id: sent++, body: sent }));
        },
        onAccepted: note('accepted'),
        onRejected: note('rejected'),
        onReleased: note('released'),
        onSettled(e) {
          assert.equal(e.delivery!.settled, false, 'autoSettle off: not settled here by the handler');
        },
      },
    );
    // Settle by hand, on the container's loop, once every outcome is in.
    const cc = scope.container(client);
    const conn = cc.connect(`${HOST}:${server.port}`, { reconnect: false });
    const sender = cc.createSender(conn, 'q');
    const poll = (): void => {
      later(cc, 5, () => {
        if (outcomes.size < N) return poll();
        for (const d of [...sender.deliveries]) {
          client.settle(d);
          settledByHand++;
        }
        later(cc, 50, () => conn.close());
      });
    };
    poll();
    await runAll(5000, () => `outcomes (${outcomes.size} of ${N})`, server.container, cc);

    const expected = (n: number) =>
      [
        ['accepted', Accepted, true],
        ['rejected', Rejected, true],
        ['released', Modified, true],
        ['released', Released, true],
        ['accepted', Accepted, false],
      ][n % 5]!;
    for (let n = 0; n < N; n++) {
      const tag = String(n + 1);
      const o = outcomes.get(tag);
      const [callback, type, remoteSettled] = expected(n);
      assert.equal(o?.callback, callback, `message ${n}: the callback`);
      assert.ok(o?.state instanceof (type as typeof Accepted), `message ${n}: the outcome`);
      assert.equal(o?.settledHere, false, `message ${n}: not settled here when the outcome came`);
      const settledCalls = client.events.filter((e) => e.type === 'settled' && tagOf(e.delivery) === tag);
      assert.equal(
        settledCalls.length,
        remoteSettled ? 1 : 0,
        `message ${n}: onSettled when the peer settled`,
      );
    }
    const rejected = outcomes.get('2')!.state as Rejected;
    assert.ok(rejected.error instanceof AmqpError);
    assert.equal(String(rejected.error.condition), 'amqp:invalid-field');
    assert.equal(rejected.error.description, 'bad 1');
    const modified = outcomes.get('3')!.state as Modified;
    assert.equal(modified.deliveryFailed, true, 'release(d) counts as a delivery attempt');
    assert.ok(!modified.undeliverableHere);
    assert.ok(settledByHand >= 2, 'the sender settled by hand');
    assert.equal(sender.deliveries.size, 0, 'every delivery settled here');
    // Accepted without settling: the receiver learns of the sender's settlement (onSettled).
    assert.equal(unsettled, 2);
    assert.deepEqual(receiverSettled.sort(), ['10', '5']);
  });

  test('automatic acknowledgement: accepted and settled after onMessage, settled here after onSettled', async (t) => {
    const scope = new Scope(t);
    const seen: string[] = [];
    let receiverDelivery: Delivery | undefined;
    const broker = new QueueServer(
      {},
      {
        onMessage(e) {
          receiverDelivery = e.delivery;
          seen.push(`message settled=${e.delivery!.settled}`);
        },
      },
    );
    const server = await serve(scope, broker);
    const client = new Recorder(
      {},
      {
        onSendable(e) {
          if (e.sender!.deliveries.size === 0 && client.count('onAccepted') === 0)
            e.sender!.send(new Message({ body: 'x' }));
        },
        onAccepted(e) {
          seen.push(`accepted settled=${e.delivery!.settled} remoteSettled=${e.delivery!.remoteSettled}`);
        },
        onSettled(e) {
          seen.push(`settled settled=${e.delivery!.settled}`);
          const d = e.delivery!;
          later(cc, 1, () => {
            seen.push(`after settled=${d.settled}`);
            e.connection!.close();
          });
        },
      },
    );
    const cc = scope.container(client);
    cc.createSender(cc.connect(`${HOST}:${server.port}`, { reconnect: false }), 'q');
    await runAll(5000, 'one message acknowledged', server.container, cc);
    assert.deepEqual(seen, [
      'message settled=false',
      'accepted settled=false remoteSettled=true',
      'settled settled=false',
      'after settled=true',
    ]);
    assert.ok(receiverDelivery?.settled, 'the receiver accepted and settled it once onMessage returned');
    assert.ok(receiverDelivery?.local instanceof Accepted);
  });

  test('Reject and Release thrown from onMessage: the sender sees onRejected and onReleased', async (t) => {
    const scope = new Scope(t);
    const broker = new QueueServer(
      {},
      {
        onMessage(e) {
          const body = e.message!.body;
          if (body === 'reject')
            throw new Reject('no', { name: 'amqp:not-allowed', description: 'not this' });
          if (body === 'release') throw new Release();
        },
      },
    );
    const server = await serve(scope, broker);
    const got = new Map<string, { callback: string; state: unknown }>();
    const bodies = ['reject', 'release', 'accept'];
    const note = (callback: string) =>
      function (this: Recorder, e: Event) {
        got.set(tagOf(e.delivery), { callback, state: e.delivery!.remote });
        if (got.size === bodies.length) e.connection!.close();
      };
    const client = new Recorder(
      {},
      {
        onSendable(e) {
          if (e.sender!.deliveries.size > 0 || got.size > 0) return;
          for (const body of bodies) e.sender!.send(new Message({ body }));
        },
        onAccepted: note('accepted'),
        onRejected: note('rejected'),
        onReleased: note('released'),
      },
    );
    const cc = scope.container(client);
    cc.createSender(cc.connect(`${HOST}:${server.port}`, { reconnect: false }), 'q');
    await runAll(5000, 'three outcomes; Reject and Release are no failures of run()', server.container, cc);
    assert.equal(got.get('1')?.callback, 'rejected');
    const r = got.get('1')!.state as Rejected;
    assert.ok(r instanceof Rejected);
    assert.equal(String(r.error?.condition), 'amqp:not-allowed');
    assert.equal(r.error?.description, 'not this');
    assert.equal(got.get('2')?.callback, 'released');
    const m = got.get('2')!.state as Modified;
    assert.ok(m instanceof Modified, 'Release sends modified, as Proton 0.37');
    assert.ok(!m.deliveryFailed && !m.undeliverableHere);
    assert.equal(got.get('3')?.callback, 'accepted');
    assert.equal(client.count('onSettled'), 3);
  });
  test('prefetch 0: no credit until receiver.flow(n), then exactly n messages', async (t) => {
    const scope = new Scope(t);
    const broker = new QueueServer();
    for (let i = 1; i <= 10; i++) broker.publish('q', new Message({ id: i, body: i }));
    const server = await serve(scope, broker);
    const bodies: unknown[] = [];
    const checks: string[] = [];
    let receiver!: Receiver;
    const client = new Recorder(
      { prefetch: 0 },
      {
        onLinkOpened() {
          later(cc, 100, () => {
            checks.push(`before flow: ${bodies.length} messages, credit ${receiver.credit}`);
            receiver.flow(3);
            later(cc, 150, () => {
              checks.push(`after flow(3): ${bodies.length} messages, credit ${receiver.credit}`);
              receiver.flow(2);
            });
          });
        },
        onMessage(e) {
          bodies.push(e.message!.body);
          if (bodies.length === 5) {
            later(cc, 100, () => {
              checks.push(`after flow(2): ${bodies.length} messages, credit ${receiver.credit}`);
              e.connection!.close();
            });
          }
        },
      },
    );
    const cc = scope.container(client);
    receiver = cc.createReceiver(cc.connect(`${HOST}:${server.port}`, { reconnect: false }), 'q');
    await runAll(5000, () => `five messages (${bodies.length})`, server.container, cc);
    assert.deepEqual(checks, [
      'before flow: 0 messages, credit 0',
      'after flow(3): 3 messages, credit 0',
      'after flow(2): 5 messages, credit 0',
    ]);
    assert.deepEqual(bodies, [1, 2, 3, 4, 5]);
    assert.equal(broker.queues.get('q')?.length, 5, 'the rest stays queued on the server');
  });

  test('a dynamic receiver: the server names the node in onLinkOpening; the client reads remoteSource', async (t) => {
    const scope = new Scope(t);
    const seen: { dynamic: boolean | undefined; address: string | undefined }[] = [];
    const broker = new QueueServer(
      {},
      {
        onLinkOpening(e) {
          seen.push({ dynamic: e.link!.remoteSource?.dynamic, address: e.link!.remoteSource?.address });
        },
      },
    );
    const server = await serve(scope, broker);
    let address: string | undefined;
    let reply: unknown;
    const client = new Recorder(
      {},
      {
        onLinkOpened(e) {
          if (!e.link!.isReceiver) return;
          address = e.receiver!.remoteSource?.address;
          // A request to the temporary node comes back on it.
          cc.createSender(e.connection!, address).send(new Message({ body: 'to myself' }));
        },
        onMessage(e) {
          reply = e.message!.body;
          e.connection!.close();
        },
      },
    );
    const cc = scope.container(client);
    const r = cc.createReceiver(cc.connect(`${HOST}:${server.port}`, { reconnect: false }), undefined, {
      dynamic: true,
    });
    await runAll(5000, 'dynamic node', server.container, cc);
    assert.deepEqual(seen[0], { dynamic: true, address: undefined }, 'the server sees a dynamic source');
    assert.equal(address, 'dynamic-1');
    assert.equal(r.remoteSource?.dynamic, true);
    assert.equal(r.source.dynamic, true);
    assert.equal(reply, 'to myself');
  });

  test('link options: selectors, filters, browse and consume, durable, settle modes, node properties', async (t) => {
    const scope = new Scope(t);
    const attached = new Map<string, Link>();
    const broker = new QueueServer(
      {},
      {
        onLinkOpening(e) {
          attached.set(e.link!.name.replace(/^client-/, ''), e.link!);
          if (attached.size === 5) later(server.container, 10, () => e.connection!.close());
        },
      },
    );
    const server = await serve(scope, broker);
    const cc = scope.container(new Recorder());
    const conn = cc.connect(`${HOST}:${server.port}`, { reconnect: false });
    cc.createReceiver(conn, 'browse', {
      name: 'browse',
      options: [new Selector("colour = 'red'"), new Copy()],
    });
    cc.createReceiver(conn, 'consume', {
      name: 'consume',
      options: [new Move(), new DurableSubscription(), new Selector('x > 1', 'mine')],
    });
    cc.createReceiver(conn, 'filtered', {
      name: 'filtered',
      options: new Filter({ 'my-filter': new Described(new AmqpSymbol('example:filter'), 'v') }),
    });
    cc.createSender(conn, 'settled', { name: 'settled', options: [new AtMostOnce(), new Copy()] });
    cc.createReceiver(conn, undefined, {
      name: 'dynamic',
      dynamic: true,
      options: [new AtLeastOnce(), new DynamicNodeProperties({ 'lifetime-policy': 'delete-on-close' })],
    });
    await runAll(5000, 'five links attached', server.container, cc);

    const filterOf = (l: Link | undefined) =>
      [...(l?.remoteSource?.filter ?? new Map())].map(([k, v]) => [
        k instanceof AmqpSymbol ? k.value : String(k),
        v instanceof Described
          ? [v.descriptor instanceof AmqpSymbol ? v.descriptor.value : String(v.descriptor), v.value]
          : v,
      ]);
    const browse = attached.get('browse');
    assert.deepEqual(filterOf(browse), [
      ['selector', ['apache.org:selector-filter:string', "colour = 'red'"]],
    ]);
    assert.equal(browse?.remoteSource?.distributionMode, 'copy');
    const consume = attached.get('consume');
    assert.deepEqual(filterOf(consume), [['mine', ['apache.org:selector-filter:string', 'x > 1']]]);
    assert.equal(consume?.remoteSource?.distributionMode, 'move');
    assert.equal(consume?.remoteSource?.durable, 2, 'durable unsettled-state');
    assert.equal(consume?.remoteSource?.expiryPolicy, 'never');
    assert.deepEqual(filterOf(attached.get('filtered')), [['my-filter', ['example:filter', 'v']]]);
    const settled = attached.get('settled');
    assert.equal(settled?.remoteSndSettleMode, 1, 'AtMostOnce: snd-settle-mode settled');
    assert.equal(settled?.remoteSource?.distributionMode, undefined, 'Copy is for receivers only');
    const dynamic = attached.get('dynamic');
    assert.equal(dynamic?.remoteSndSettleMode, 0, 'AtLeastOnce: snd-settle-mode unsettled');
    assert.equal(dynamic?.remoteRcvSettleMode, 0, 'AtLeastOnce: rcv-settle-mode first');
    assert.equal(dynamic?.remoteSource?.dynamic, true);
    const props = dynamic?.remoteSource?.dynamicNodeProperties;
    assert.deepEqual(
      [...(props ?? new Map())].map(([k, v]) => [k instanceof AmqpSymbol ? k.value : String(k), v]),
      [['lifetime-policy', 'delete-on-close']],
    );
  });

  test('schedule: 12,345 timers all fire, once each and not early; cancelled ones never fire', async (t) => {
    const scope = new Scope(t);
    const N = 12_345;
    const fired = new Uint8Array(N);
    let firedCount = 0;
    let early = 0;
    let cancelledFired = 0;
    const root = new Recorder();
    const c = scope.container(root);
    const t0 = performance.now();
    const tasks: Task[] = [];
    const cancelled: Task[] = [];
    for (let i = 0; i < N; i++) {
      const delay = i % 50;
      const at = performance.now();
      const handler = {
        onTimerTask: () => {
          if (fired[i]) fired[i] = 2;
          else fired[i] = 1;
          firedCount++;
          if (performance.now() - at < delay - 1) early++;
        },
      };
      // One in ten goes to the container's handlers (no handler given).
      tasks.push(i % 10 === 0 ? c.schedule(delay, undefined) : c.schedule(delay, handler));
      if (i % 10 === 0) fired[i] = 1;
    }
    // Cancelled: at once, and from a timer due long before them (the order of tasks due close together
    // is the next test's).
    const firedLate: string[] = [];
    let cancelRanAt = 0;
    const tc = performance.now();
    for (let i = 0; i < 500; i++) {
      cancelled.push(
        c.schedule(100 + (i % 30), {
          onTimerTask: () => {
            cancelledFired++;
            firedLate.push(`#${i} (${100 + (i % 30)} ms) at ${(performance.now() - tc).toFixed(0)} ms`);
          },
        }),
      );
    }
    for (const task of cancelled.slice(0, 250)) task.cancel();
    c.schedule(5, {
      onTimerTask: () => {
        cancelRanAt = performance.now() - tc;
        for (const task of cancelled.slice(250)) task.cancel();
      },
    });
    await runAll(10_000, () => `${firedCount} of ${N} timers`, c);
    const ms = performance.now() - t0;
    t.diagnostic(`${N} timers in ${ms.toFixed(0)} ms`);
    assert.equal(
      root.count('onTimerTask'),
      Math.ceil(N / 10),
      'the tasks without a handler went to the container',
    );
    assert.equal(firedCount + root.count('onTimerTask'), N);
    assert.equal(fired.filter((f) => f === 1).length, N, 'each fired once');
    assert.equal(early, 0, 'none fired before its delay');

    assert.equal(
      cancelledFired,
      0,
      `no cancelled task fired; the 5 ms task that cancels them ran at ${cancelRanAt.toFixed(0)} ms, after ${firedLate.slice(0, 5).join(', ')}`,
    );
    assert.ok(cancelled.every((task) => task.cancelled));
    assert.ok(
      tasks.every((task) => task.cancelled),
      'a task that ran counts as done',
    );
  });

  test('schedule: tasks run in the order of their deadlines, even after a busy handler', async (t) => {
    // Proton's reactor keeps its tasks in a heap by deadline: whatever is due runs earliest deadline
    // first, so a task cancelled by one due before it never runs. Here a handler keeps the loop busy:
    // X (due at 20 ms) was scheduled first; the busy handler then schedules B (due about 50 ms) and A
    // (due about 35 ms, cancels B), and stays busy until all three are due.
    const scope = new Scope(t);
    const order: string[] = [];
    const c = scope.container(new Recorder());
    const busy = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // The handler is busy.
      }
    };
    c.schedule(20, { onTimerTask: () => order.push('X') });
    c.schedule(0, {
      onTimerTask: () => {
        busy(30);
        const b = c.schedule(20, { onTimerTask: () => order.push('B') });
        c.schedule(5, {
          onTimerTask: () => {
            order.push('A');
            b.cancel();
          },
        });
        busy(100);
      },
    });
    await runAll(5000, 'the tasks', c);
    t.diagnostic(`order: ${order.join(', ')}`);
    // Proton takes its loop's time for `now`: A is due at 5 ms, before X; with the time of the
    // schedule call it is due at 35 ms, after X. Either way A is due before B, and B never runs.
    assert.deepEqual(
      order.filter((o) => o !== 'X'),
      ['A'],
      `A, due before B, runs first and cancels it (${order})`,
    );
    assert.ok(order.includes('X'));
  });

  describe('a handler exception makes run() reject with it', () => {
    const boom = (where: string) => new Error(`boom in ${where}`);

    test("the container's handler, in onMessage: the server fails, the client sees the loss", async (t) => {
      const scope = new Scope(t);
      const error = boom('onMessage');
      const broker = new QueueServer(
        {},
        {
          onMessage() {
            throw error;
          },
        },
      );
      const server = await serve(scope, broker);
      const client = new Recorder();
      const cc = scope.container(client);
      const conn = cc.connect(`${HOST}:${server.port}`, { reconnect: false });
      cc.createSender(conn, 'q').send(new Message({ body: 'x' }));
      const serverRun = server.container.run();
      const clientRun = cc.run();
      await assert.rejects(within(5000, 'the server fails', serverRun), (e) => e === error);
      await within(5000, 'the client sees the loss', clientRun);
      assert.equal(client.count('onDisconnected'), 1);
      assert.equal(await isListening(server.port), false, 'the failed container closed its acceptor');
    });

    for (const where of ['onStart', 'connection', 'link', 'timer'] as const) {
      const title = {
        onStart: "the container's handler, in onStart",
        connection: "a connection's handler (connect({ handler })), in onConnectionOpened",
        link: "a link's handler (createSender({ handler })), in onLinkOpened",
        timer: "a timer's handler, in onTimerTask",
      }[where];
      test(title, async (t) => {
        const scope = new Scope(t);
        const error = boom(where);
        const server = await serve(scope, new QueueServer());
        const throwing = new Recorder(
          {},
          {
            onConnectionOpened() {
              if (where === 'connection') throw error;
            },
            onLinkOpened() {
              if (where === 'link') throw error;
            },
            onStart() {
              if (where === 'onStart') throw error;
            },
          },
        );
        const root = new Recorder({}, where === 'onStart' ? { onStart: throwing.hooks.onStart! } : {});
        const cc = scope.container(root);
        const conn = cc.connect(`${HOST}:${server.port}`, {
          reconnect: false,
          handler: where === 'connection' ? throwing : undefined,
        });
        cc.createSender(conn, 'q', where === 'link' ? { handler: throwing } : {});
        if (where === 'timer') {
          cc.schedule(20, {
            onTimerTask() {
              throw error;
            },
          });
        }
        const serverRun = server.container.run();
        let failure: unknown = 'run() did not settle';
        await within(3000, `${where}: run() settles`, cc.run()).then(
          () => (failure = 'run() resolved'),
          (e) => (failure = e),
        );
        assert.equal(failure, error, 'run() rejects with the very exception');
        assert.ok(cc.stopped);
        server.close();
        await within(5000, `${where}: the server ends`, serverRun);
      });
    }
  });

  test('stop() ends run() at once with connections open and timers pending', async (t) => {
    const scope = new Scope(t);
    const broker = new QueueServer();
    const server = await serve(scope, broker);
    let stoppedAt = 0;
    let longTimerFired = false;
    const client = new Recorder(
      {},
      {
        onConnectionOpened() {
          stoppedAt = performance.now();
          cc.stop();
        },
      },
    );
    const cc = scope.container(client);
    const conn = cc.connect(`${HOST}:${server.port}`);
    cc.createReceiver(conn, 'q');
    cc.schedule(60_000, { onTimerTask: () => (longTimerFired = true) });
    const serverRun = server.container.run();
    await within(2000, 'run() after stop()', cc.run());
    const ms = performance.now() - stoppedAt;
    t.diagnostic(`run() resolved ${ms.toFixed(1)} ms after stop()`);
    assert.ok(ms < 100, `run() resolves soon after stop() (${ms.toFixed(1)} ms)`);
    assert.equal(longTimerFired, false);
    assert.equal(conn.localState, State.LOCAL_ACTIVE, 'stop() drops connections without closing them');
    // The server sees the client vanish, and ends when its acceptor closes.
    await sleep(50);
    assert.equal(broker.count('onDisconnected'), 1);
    server.close();
    await within(2000, 'the server ends', serverRun);
    // stop() from outside a handler, while a connection is being made.
    const c2 = scope.container(new Recorder());
    c2.connect(`${HOST}:${await freePort()}`);
    const run2 = c2.run();
    setTimeout(() => c2.stop(), 20);
    await within(2000, 'stop() from outside', run2);
  });

  test('handler precedence: connect({ handler }) and createSender({ handler }) get their events, not the container', async (t) => {
    const scope = new Scope(t);
    const server = await serve(scope, new QueueServer());
    const root = new Recorder();
    const connHandler = new Recorder();
    const linkHandler = new Recorder(
      {},
      {
        onSendable(e) {
          if (e.sender!.deliveries.size === 0 && linkHandler.count('onAccepted') === 0)
            e.sender!.send(new Message({ body: 'via the link handler' }));
        },
        onAccepted(e) {
          later(cc, 20, () => e.connection!.close());
        },
      },
    );
    const cc = scope.container(root, { containerId: 'client' });
    const conn = cc.connect({ url: `${HOST}:${server.port}`, handler: connHandler, reconnect: false });
    cc.createSender(conn, 'q', { handler: linkHandler });
    const other = cc.createReceiver(conn, 'r');
    await runAll(5000, 'handlers', server.container, cc);

    assert.deepEqual(root.callbacks, ['onStart'], 'the container saw only its own events');
    assert.equal(connHandler.count('onStart'), 0);
    assert.deepEqual(
      connHandler.callbacks.filter((c) => c.startsWith('onConnection') || c.startsWith('onSession')),
      ['onConnectionOpened', 'onSessionOpened', 'onConnectionClosed'],
    );
    const connLinks = connHandler.events.filter((e) => e.type.startsWith('link_')).map((e) => e.link);
    assert.ok(
      connLinks.length > 0 && connLinks.every((l) => l === other),
      'the connection handler: the other link only',
    );
    assert.deepEqual(
      linkHandler.callbacks.filter((c) => c !== 'onSendable'),
      ['onLinkOpened', 'onAccepted', 'onSettled'],
      'the link handler: its link events only',
    );
    assert.ok(linkHandler.events.every((e) => e.link?.name === 'client-q' || e.link === undefined));
  });

  test('run() ends by itself once the last connection closes and the acceptor is closed', async (t) => {
    const scope = new Scope(t);
    const broker = new QueueServer();
    const sc = scope.container(broker);
    const acceptor = await sc.listen(`${HOST}:0`);
    const client = new Recorder({}, { onConnectionOpened: (e) => e.connection!.close() });
    const cc = scope.container(client);
    cc.connect(`${HOST}:${acceptor.port}`);
    let serverDone = false;
    const serverRun = sc.run().then(() => {
      serverDone = true;
    });
    // The client ends when its only connection is closed (no reconnect after a close of its own).
    await within(5000, 'the client ends', cc.run());
    assert.deepEqual(client.callbacks, ['onStart', 'onConnectionOpened', 'onConnectionClosed']);
    await sleep(100);
    assert.equal(broker.count('onConnectionClosed'), 1);
    assert.equal(serverDone, false, 'the acceptor keeps the server running');
    acceptor.close();
    await within(2000, 'the server ends once its acceptor closes', serverRun);
    assert.equal(await isListening(acceptor.port), false);
    // Nothing to do at all: run() resolves at once.
    await within(1000, 'an idle container', scope.container(new Recorder()).run());
  });
});
