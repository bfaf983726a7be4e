/**
 * The socket driver gives lent memory back as the socket finishes writing it (issue 7, 1 MiB messages):
 * large messages sent back to back, each encoded into memory an earlier one went out of, arrive intact.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lentBuffersFree } from '../../src/codec/lent-buffers.js';
import type { Event } from '../../src/container/event.js';
import { MessagingHandler } from '../../src/handlers/messaging-handler.js';
import { Message } from '../../src/message/message.js';
import { HOST, runAll, Scope } from '../support/container-harness.js';
import { payload } from '../support/flows.js';

const SIZE = 1 << 20;
const COUNT = 40;

describe('socket driver: lent memory (issue 7)', { timeout: 60_000 }, () => {
  test('issue 7: 40 messages of 1 MiB, credit 10, reuse lent memory and every one arrives as sent', async (t) => {
    const scope = new Scope(t);
    const bodies: Buffer[] = [];
    const receiver = new (class extends MessagingHandler {
      override onMessage(e: Event): void {
        bodies.push(e.message!.body as Buffer);
        if (bodies.length === COUNT) e.connection!.close();
      }
    })({ prefetch: 10 });
    const server = scope.container(receiver, { containerId: 'server' });
    const acceptor = await server.listen(`${HOST}:0`);
    let sent = 0;
    let maxKept = 0;
    const sender = new (class extends MessagingHandler {
      override onStart(e: Event): void {
        e.container.createSender(
          e.container.connect(`${HOST}:${acceptor.port}`, { reconnect: false }),
          'big',
        );
      }
      override onSendable(e: Event): void {
        maxKept = Math.max(maxKept, lentBuffersFree().buffers);
        while (e.sender!.credit > 0 && sent < COUNT) {
          e.sender!.send(new Message({ body: payload(SIZE, sent++), bodyKind: 'data' }));
        }
      }
      override onConnectionClosed(): void {
        acceptor.close();
      }
    })();
    const client = scope.container(sender, { containerId: 'client' });
    await runAll(30_000, 'forty messages of 1 MiB', server, client);
    assert.equal(bodies.length, COUNT);
    for (let i = 0; i < COUNT; i++) assert.ok(bodies[i]!.equals(payload(SIZE, i)), `message ${i} intact`);
    assert.ok(maxKept > 0, 'written memory came back for the messages after it');
  });
});
