/**
 * Accepted sockets re-made to read through `onread` (issue 7, the 1 MiB receiver): the new socket reads,
 * writes, ends and closes as the accepted one would, takes over the server's count of its connections,
 * and the old one is inert; a socket that is not as expected is resumed and read through `'data'`. A
 * container's accepted connection then reads large transfers straight into the messages' memory.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, test } from 'node:test';
import type { Event } from '../../src/container/event.js';
import { MessagingHandler } from '../../src/handlers/messaging-handler.js';
import { readAcceptedWith } from '../../src/io/accepted-reads.js';
import { Message } from '../../src/message/message.js';
import { HOST, Recorder, runAll, Scope, within } from '../support/container-harness.js';
import { payload } from '../support/flows.js';

/** A server accepting one socket with `pauseOnConnect` as given, and a client connected to it. */
async function acceptOne(scope: Scope, pauseOnConnect: boolean) {
  const server = net.createServer({ pauseOnConnect });
  scope.add({ dispose: () => new Promise<void>((r) => server.close(() => r())) });
  server.listen(0, HOST);
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((server.address() as net.AddressInfo).port, HOST);
  scope.add({ dispose: () => void client.destroy() });
  const [socket] = await within(5000, 'accepted', accepted);
  return { server, client, socket };
}

/** Connections the server counts. */
const connections = (server: net.Server) =>
  new Promise<number>((res, rej) => server.getConnections((e, n) => (e ? rej(e) : res(n))));

describe('accepted sockets reading through onread (issue 7)', { timeout: 30_000 }, () => {
  test('the new socket reads into the buffer given, writes, and closes with the count moved', async (t) => {
    const scope = new Scope(t);
    const { server, client, socket } = await acceptOne(scope, true);
    const memory = Buffer.alloc(16);
    const got: Buffer[] = [];
    const fresh = readAcceptedWith(socket, {
      buffer: memory,
      callback: (n, buf) => {
        assert.equal(buf.buffer, memory.buffer, 'read into the memory given');
        got.push(Buffer.from(buf.subarray(0, n)));
        return true;
      },
    });
    assert.ok(fresh !== undefined && fresh !== socket);
    // The old socket is inert: destroying it neither closes the connection nor changes the count.
    socket.destroy();
    assert.equal(await connections(server), 1);
    client.write('hello, onread: more than sixteen bytes');
    const echoed = once(client, 'data');
    fresh.write('back');
    assert.equal(String((await within(5000, 'echo', echoed))[0]), 'back');
    const closed = once(fresh, 'close');
    client.end();
    await within(5000, 'closed', closed);
    assert.equal(Buffer.concat(got).toString(), 'hello, onread: more than sixteen bytes');
    assert.ok(got.length >= 3, 'in reads of at most 16 bytes');
    assert.equal(await connections(server), 0, 'the server counted the connection gone');
  });

  test('a socket already reading is resumed and read through data events', async (t) => {
    const scope = new Scope(t);
    const { socket, client } = await acceptOne(scope, false);
    scope.add({ dispose: () => void socket.destroy() });
    const fresh = readAcceptedWith(socket, { buffer: Buffer.alloc(16), callback: () => true });
    assert.equal(fresh, undefined);
    const data = once(socket, 'data');
    client.write('through data');
    assert.equal(String((await within(5000, 'data', data))[0]), 'through data');
  });

  test('a paused socket without the internals expected is resumed', async (t) => {
    const scope = new Scope(t);
    const { socket, client } = await acceptOne(scope, true);
    scope.add({ dispose: () => void socket.destroy() });
    // As if Node kept its accepted sockets' server elsewhere (put back after, for the server to close).
    const internals = socket as unknown as { _server: unknown };
    const kept = internals._server;
    internals._server = undefined;
    assert.equal(readAcceptedWith(socket, { buffer: Buffer.alloc(16), callback: () => true }), undefined);
    internals._server = kept;
    const data = once(socket, 'data');
    client.write('resumed');
    assert.equal(String((await within(5000, 'data', data))[0]), 'resumed');
  });

  test('a container reads large transfers straight into the messages, intact', async (t) => {
    const scope = new Scope(t);
    const sizes = [300_000, 70, 1 << 20, 65_600, 5];
    const bodies: Buffer[] = [];
    let direct = 0;
    const receiver = new (class extends MessagingHandler {
      override onConnectionOpened(e: Event): void {
        // Counts the reads the transport directs into a message's memory.
        const transport = e.connection!.transport!;
        const readTarget = transport.readTarget.bind(transport);
        transport.readTarget = () => {
          const target = readTarget();
          if (target !== undefined) direct++;
          return target;
        };
      }
      override onMessage(e: Event): void {
        bodies.push(e.message!.body as Buffer);
        if (bodies.length === sizes.length) e.connection!.close();
      }
    })();
    const server = scope.container(receiver, { containerId: 'server' });
    const acceptor = await server.listen(`${HOST}:0`);
    let sent = false;
    const sender = new Recorder(
      {},
      {
        onStart(e) {
          const url = `${HOST}:${acceptor.port}`;
          e.container.createSender(e.container.connect(url, { reconnect: false }), 'big');
        },
        onSendable(e) {
          if (sent) return;
          sent = true;
          sizes.forEach((size, i) => {
            e.sender!.send(new Message({ body: payload(size, i), bodyKind: 'data' }));
          });
        },
        onConnectionClosed() {
          acceptor.close();
        },
      },
    );
    const client = scope.container(sender, { containerId: 'client' });
    await runAll(20_000, 'five messages up to 1 MiB', server, client);
    assert.equal(bodies.length, sizes.length);
    sizes.forEach((size, i) => {
      assert.ok(bodies[i]!.equals(payload(size, i)), `message ${i} intact`);
    });
    assert.ok(direct > 0, 'some reads went straight into a message');
  });
});
