/**
 * Reconnect, failover and in-doubt deliveries, over real loopback sockets: a listening Container killed
 * and started again, a TCP relay (test/support/container-harness.ts `TcpProxy`) that drops connections
 * mid-stream and refuses new ones, dead ports, a SASL server refusing the password.
 *
 * The semantics are Proton's (reference 1.2.4, and Proton 0.37's `_Connector`): the delays of the
 * `reconnect` sequence, the first one standing for the first attempt; every URL of a failover list tried
 * at each delay; the sequence started again once a connection opens (so the first reconnect after a
 * loss is immediate); no reconnect after a local close or an authentication failure; a peer's close
 * with `amqp:connection:forced` is a transparent reconnect. What was in flight when the connection was
 * lost is reported (`event.inDoubt`), or sent again with the `resend` link option.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff } from '../../src/container/backoff.js';
import type { Container } from '../../src/container/container.js';
import type { Task } from '../../src/container/task.js';
import { Condition } from '../../src/engine/condition.js';
import type { Delivery } from '../../src/engine/delivery.js';
import { State } from '../../src/engine/endpoint.js';
import type { Sender } from '../../src/engine/link.js';
import { Message } from '../../src/message/message.js';
import {
  DroppingServer,
  freePort,
  HOST,
  QueueServer,
  Recorder,
  runAll,
  Scope,
  sleep,
  TcpProxy,
  until,
  within,
} from '../support/container-harness.js';

/** Runs `fn` in `ms` milliseconds, on the container's loop (a scheduled task). */
function later(container: Container, ms: number, fn: () => void): Task {
  return container.schedule(ms, { onTimerTask: fn });
}

/** The gaps between successive times. */
const gaps = (times: number[]): number[] => times.slice(1).map((x, i) => x - times[i]!);
const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');

/** Asserts each measured gap is the expected delay, give or take (timers never fire early). */
function assertGaps(measured: number[], expected: number[], what: string): void {
  assert.equal(
    measured.length,
    expected.length,
    `${what}: ${measured.length + 1} attempts (gaps ${fmt(measured)})`,
  );
  measured.forEach((m, i) => {
    const d = expected[i]!;
    assert.ok(
      m >= d - 5 && m <= d + 80,
      `${what}: gap ${i + 1} is ${m.toFixed(0)} ms, expected about ${d} (gaps ${fmt(measured)}, expected ${fmt(expected)})`,
    );
  });
}

describe('reconnect', { timeout: 30_000 }, () => {
  test('a listener killed and started again while a sender runs: the client reconnects and re-attaches its links', async (t) => {
    const scope = new Scope(t);
    const N = 150;
    const KILL_AFTER = 40;
    // The first server dies (stop(): its acceptor and every socket gone) once it has 40 messages.
    const first = new QueueServer(
      {},
      {
        onMessage() {
          if (first.received.length === KILL_AFTER) later(c1, 0, () => c1.stop());
        },
      },
    );
    const c1 = scope.container(first, { containerId: 'server-1' });
    const port = (await c1.listen(`${HOST}:0`)).port;
    const second = new QueueServer({}, { onConnectionClosed: () => c2.stop() });
    const c2 = scope.container(second, { containerId: 'server-2' });

    const inDoubt = new Set<number>();
    const received = new Set<number>();
    let next = 1;
    const client = new Recorder(
      {},
      {
        onDisconnected(e) {
          for (const d of e.inDoubt) inDoubt.add(d.context as number);
        },
        onMessage(e) {
          const id = e.message!.id as number;
          received.add(id);
          if (id === N) e.connection!.close();
        },
      },
    );
    const cc = scope.container(client, { containerId: 'client' });
    const conn = cc.connect(`${HOST}:${port}`, { reconnect: new Backoff({ initial: 20, maxDelay: 50 }) });
    cc.createReceiver(conn, 'q');
    const sender = cc.createSender(conn, 'q');
    // One message every 2 ms while the link has credit.
    const tick = (): void => {
      later(cc, 2, () => {
        if (sender.credit > 0 && next <= N) {
          const d = sender.send(new Message({ id: next, body: next }));
          d.context = next++;
        }
        if (next <= N) tick();
      });
    };
    tick();

    const run1 = c1.run();
    const clientRun = cc.run();
    await within(5000, () => `the first server dies (${first.received.length} messages)`, run1);
    const killedAt = performance.now();
    await sleep(150);
    assert.equal(conn.remoteState, State.REMOTE_UNINIT, 'the client is down while nothing listens');
    await c2.listen(`${HOST}:${port}`);
    const run2 = c2.run();
    await within(10_000, () => `the client gets message ${N} (${received.size} so far)`, clientRun);
    await within(5000, 'the second server ends', run2);

    t.diagnostic(
      `server 1: ${first.received.length} messages, server 2: ${second.received.length}; in doubt ${inDoubt.size}; ` +
        `${client.count('onTransportError')} transport errors, ${client.count('onDisconnected')} onDisconnected; ` +
        `sender.inDoubt [${sender.inDoubt.map((d) => d.context)}]; back ${(performance.now() - killedAt).toFixed(0)} ms after the kill`,
    );
    assert.ok(first.received.length >= KILL_AFTER);
    assert.ok(second.received.length > 0, 'the sender went on on the second server');
    // Nothing lost silently: each message reached a server, or was reported in doubt.
    const reached = new Set([...first.received, ...second.received].map((r) => r.message.id as number));
    const missing = [];
    for (let i = 1; i <= N; i++) if (!reached.has(i) && !inDoubt.has(i)) missing.push(i);
    assert.deepEqual(missing, [], 'every message reached a server or was reported in doubt');
    // The same links attached again, under the same names.
    const links = (s: QueueServer) => s.attached.map((a) => `${a.role} ${a.name} ${a.address}`).sort();
    assert.deepEqual(links(second), links(first));
    assert.deepEqual(links(second), ['receiver client-q q', 'sender client-q q']);
    assert.ok(received.has(N), 'the receiver got messages again after the reconnect');
    assert.ok(client.count('onDisconnected') >= 1);
  });

  test('after a reconnect the opened callbacks come again, as Proton raises them on each remote open', async (t) => {
    // Proton 0.37's EndpointStateHandler raises on_connection_opened (session, link) on every remote
    // open of an endpoint open here: a reconnected client hears of it (checked against Proton: a client
    // of broker.py killed and restarted prints connection_opened twice).
    const scope = new Scope(t);
    const sc = scope.container(new QueueServer());
    const acceptor = await sc.listen(`${HOST}:0`);
    const proxy = scope.add(new TcpProxy(acceptor.port));
    await proxy.listen();
    const client = new Recorder(
      {},
      {
        onConnectionOpened() {
          if (proxy.accepted === 1) later(cc, 20, () => proxy.dropAll());
        },
      },
    );
    const cc = scope.container(client);
    const conn = cc.connect(`${HOST}:${proxy.port}`, { reconnect: new Backoff({ initial: 20 }) });
    cc.createSender(conn, 'q');
    cc.createReceiver(conn, 'q');
    const sr = sc.run();
    const cr = cc.run();
    await until(
      5000,
      'the client comes back',
      () => proxy.accepted === 2 && conn.remoteState === State.REMOTE_ACTIVE,
    );
    await sleep(50);
    later(cc, 0, () => conn.close());
    await within(5000, 'the client closes', cr);
    assert.equal(client.count('onDisconnected'), 1);
    assert.equal(client.count('onConnectionOpened'), 2, 'onConnectionOpened after the reconnect too');
    assert.equal(client.count('onSessionOpened'), 2, 'onSessionOpened after the reconnect too');
    assert.equal(client.count('onLinkOpened'), 4, 'onLinkOpened for both links after the reconnect too');
    acceptor.close();
    await within(2000, 'the server ends', sr);
  });

  test('failover: the first URL refuses, the second is reached', async (t) => {
    const scope = new Scope(t);
    const broker = new QueueServer();
    const sc = scope.container(broker);
    const live = await sc.listen(`${HOST}:0`);
    const dead = await freePort();
    const urls: (number | undefined)[] = [];
    const client = new Recorder(
      {},
      {
        onTransportError() {
          urls.push(cc.urlOf(conn)?.port);
        },
        onConnectionOpened(e) {
          urls.push(cc.urlOf(conn)?.port);
          e.connection!.close();
        },
      },
    );
    const cc = scope.container(client);
    const conn = cc.connect({ urls: [`${HOST}:${dead}`, `${HOST}:${live.port}`] });
    const t0 = performance.now();
    const sr = sc.run();
    await within(5000, 'the client reaches the second URL', cc.run());
    t.diagnostic(`opened after ${(performance.now() - t0).toFixed(0)} ms`);
    assert.deepEqual(urls, [dead, live.port]);
    assert.equal(broker.count('onConnectionOpened'), 1);
    live.close();
    await within(2000, 'the server ends', sr);
  });

  test('backoff timing against a dead port: Backoff({ initial: 100, maxTries: 4 }) tries at 0, 100, 300, 700 ms, then gives up', async (t) => {
    const scope = new Scope(t);
    const dead = await freePort();
    const times: number[] = [];
    const client = new Recorder({}, { onTransportError: () => times.push(performance.now()) });
    const cc = scope.container(client);
    cc.connect(`${HOST}:${dead}`, { reconnect: new Backoff({ initial: 100, maxTries: 4 }) });
    const t0 = performance.now();
    await within(5000, 'the client gives up', cc.run());
    const total = performance.now() - t0;
    t.diagnostic(`attempts at ${fmt(times.map((x) => x - t0))} ms; run() ended at ${total.toFixed(0)} ms`);
    assert.ok(times[0]! - t0 < 50, 'the first attempt at once');
    assertGaps(gaps(times), [100, 200, 400], 'Backoff({ initial: 100, maxTries: 4 })');
    assert.ok(total - times.at(-1)! < 100, 'run() ends once the last attempt failed');
    assert.equal(
      client.count('onDisconnected'),
      4,
      'each failed attempt: onDisconnected (the connection is open here)',
    );

    // Any iterable of delays, its first value standing for the first attempt.
    const times2: number[] = [];
    const c2 = scope.container(new Recorder({}, { onTransportError: () => times2.push(performance.now()) }));
    c2.connect(`${HOST}:${dead}`, { reconnect: [0, 50, 150] });
    await within(5000, 'the client gives up', c2.run());
    assertGaps(gaps(times2), [50, 150], 'reconnect: [0, 50, 150]');
  });

  test('backoff with a failover list: each delay is tried with every URL (Proton: (delay, url) for delay in delays for url in urls)', async (t) => {
    const scope = new Scope(t);
    const dead1 = await freePort();
    const dead2 = await freePort();
    const attempts: { at: number; port: number | undefined }[] = [];
    const client = new Recorder(
      {},
      { onTransportError: () => attempts.push({ at: performance.now(), port: cc.urlOf(conn)?.port }) },
    );
    const cc = scope.container(client);
    const conn = cc.connect({
      urls: [`${HOST}:${dead1}`, `${HOST}:${dead2}`],
      reconnect: new Backoff({ initial: 100, maxTries: 3 }),
    });
    const t0 = performance.now();
    await within(5000, 'the client gives up', cc.run());
    t.diagnostic(
      `attempts: ${attempts.map((a) => `${(a.at - t0).toFixed(0)} ms on ${a.port === dead1 ? 1 : 2}`).join(', ')}`,
    );
    // Delays 0, 100, 200, each with both URLs: 6 attempts, each pair's delay waited before its attempt
    // (the first pair's at once): 0, 100, 100, 200, 200 between them (reference 1.2.4: two URLs with
    // Backoff(max_tries=5) give 10 transport errors in 0+0.1+0.1+0.2+0.2+0.4+0.4+0.8+0.8 = 3.0 s).
    assert.deepEqual(
      attempts.map((a) => (a.port === dead1 ? 1 : 2)),
      [1, 2, 1, 2, 1, 2],
      'the URLs in turn, each delay with every URL',
    );
    assertGaps(
      gaps(attempts.map((a) => a.at)),
      [0, 100, 100, 200, 200],
      'two URLs, Backoff({ initial: 100, maxTries: 3 })',
    );
  });

  test('after a connection opened, the delays start over: the first reconnect is immediate', async (t) => {
    const scope = new Scope(t);
    const sc = scope.container(new QueueServer());
    const acceptor = await sc.listen(`${HOST}:0`);
    const proxy = scope.add(new TcpProxy(acceptor.port));
    await proxy.listen();
    // The times of the failed reconnects (the transport error of the loss itself left out).
    const times: number[] = [];
    let lostAt = 0;
    const client = new Recorder(
      {},
      {
        onTransportError(e) {
          if (lostAt > 0 && e.transport?.condition?.name !== 'amqp:connection:framing-error')
            times.push(performance.now());
        },
      },
    );
    const cc = scope.container(client);
    const conn = cc.connect(`${HOST}:${proxy.port}`, { reconnect: new Backoff({ initial: 100 }) });
    const sr = sc.run();
    const cr = cc.run();
    await until(5000, 'the client connects', () => conn.remoteState === State.REMOTE_ACTIVE);
    // The peer goes away and nothing listens for a while: each attempt is refused.
    const stopped = proxy.stopListening();
    lostAt = performance.now();
    proxy.dropAll();
    await within(2000, 'the proxy stops listening', stopped);
    await until(5000, 'three failed attempts', () => times.length >= 3);
    await within(2000, 'the proxy listens again', proxy.listen());
    await until(5000, 'the client reconnects', () => conn.remoteState === State.REMOTE_ACTIVE);
    later(cc, 0, () => conn.close());
    await within(5000, 'the client closes', cr);
    t.diagnostic(`failed reconnects ${fmt(times.map((x) => x - lostAt))} ms after the loss`);
    assert.equal(proxy.accepted, 2);
    // Proton starts a fresh sequence (0, 100, 200...) on each remote open, and takes its 0 for the
    // first reconnect after the next loss.
    assert.ok(times[0]! - lostAt < 50, `the first reconnect at once (${(times[0]! - lostAt).toFixed(0)} ms)`);
    assertGaps(gaps(times.slice(0, 3)), [100, 200], 'after the immediate one, 100 then 200');
    acceptor.close();
    await within(2000, 'the server ends', sr);
  });

  describe('no reconnect after a local close', () => {
    test('closed while connected: run() ends, one connection made', async (t) => {
      const scope = new Scope(t);
      const broker = new QueueServer();
      const sc = scope.container(broker);
      const acceptor = await sc.listen(`${HOST}:0`);
      const client = new Recorder({}, { onConnectionOpened: (e) => e.connection!.close() });
      const cc = scope.container(client);
      cc.connect(`${HOST}:${acceptor.port}`);
      const sr = sc.run();
      await within(5000, 'the client ends by itself', cc.run());
      await sleep(200);
      assert.equal(broker.count('onConnectionOpening'), 1, 'one connection, no reconnect');
      assert.equal(broker.count('onConnectionClosed'), 1);
      acceptor.close();
      await within(2000, 'the server ends', sr);
    });

    test('closed while waiting to reconnect: no further attempt', async (t) => {
      const scope = new Scope(t);
      const dropping = scope.add(new DroppingServer());
      const port = await dropping.listen();
      let closedAt = 0;
      const client = new Recorder(
        {},
        {
          onTransportError() {
            // 20 ms into the 200 ms wait before the next attempt.
            if (closedAt === 0) {
              later(cc, 20, () => {
                closedAt = performance.now();
                conn.close();
              });
            }
          },
        },
      );
      const cc = scope.container(client);
      const conn = cc.connect(`${HOST}:${port}`, { reconnect: new Backoff({ initial: 200 }) });
      await within(5000, 'the client ends by itself', cc.run());
      await sleep(300);
      assert.ok(closedAt > 0);
      assert.equal(conn.localState, State.LOCAL_CLOSED);
      assert.equal(
        dropping.acceptedAt.length,
        1,
        `no connection made after the local close (${dropping.acceptedAt.map((a) => (a - closedAt).toFixed(0)).join(', ')} ms from the close)`,
      );
    });
  });

  describe('no reconnect after an authentication failure', () => {
    for (const fatal of [true, false]) {
      test(
        fatal
          ? 'the default handler closes the connection (amqp:unauthorized-access is in fatalConditions)'
          : 'with fatalConditions empty, the connector still stops on its own',
        async (t) => {
          const scope = new Scope(t);
          let tries = 0;
          const broker = new QueueServer();
          const sc = scope.container(broker);
          const acceptor = await sc.listen(`${HOST}:0`, {
            sasl: {
              mechanisms: ['PLAIN'],
              allowInsecureMechs: true,
              authenticate: (user, password) => {
                tries++;
                assert.equal(user, 'alice');
                assert.equal(password, 'wrong');
                return false;
              },
            },
          });
          const client = new Recorder();
          if (!fatal) client.fatalConditions = [];
          const cc = scope.container(client);
          const conn = cc.connect(`${HOST}:${acceptor.port}`, {
            user: 'alice',
            password: 'wrong',
            allowInsecureMechs: true, // PLAIN over plain TCP must be asked for
          });
          cc.createSender(conn, 'q');
          const sr = sc.run();
          await within(5000, 'the client gives up at once', cc.run());
          await sleep(200);
          assert.equal(tries, 1, 'one attempt only');
          assert.equal(client.count('onTransportError'), 1);
          const cond = client.events.find((e) => e.type === 'transport_error')!.transport?.condition;
          assert.equal(cond?.name, 'amqp:unauthorized-access');
          assert.equal(client.count('onConnectionOpened'), 0);
          assert.equal(broker.count('onConnectionOpening'), 0, 'no AMQP connection was opened on the server');
          acceptor.close();
          await within(2000, 'the server ends', sr);
        },
      );
    }
  });

  test('a peer closing with amqp:connection:forced, then dropping the socket: no callback, a transparent reconnect', async (t) => {
    // As Proton 0.37, the client neither answers nor reports a forced close (EndpointStateHandler leaves
    // it to reconnect); the socket the broker then drops is a loss like any other.
    const scope = new Scope(t);
    let openings = 0;
    const broker = new QueueServer(
      {},
      {
        onConnectionOpened(e) {
          if (++openings === 1) {
            const c = e.connection!;
            later(sc, 20, () => c.close(new Condition('amqp:connection:forced', 'go away')));
            later(sc, 70, () => proxy.dropAll());
          }
        },
      },
    );
    const sc = scope.container(broker);
    const acceptor = await sc.listen(`${HOST}:0`);
    const proxy = scope.add(new TcpProxy(acceptor.port));
    await proxy.listen();
    const client = new Recorder();
    const cc = scope.container(client);
    const conn = cc.connect(`${HOST}:${proxy.port}`, { reconnect: new Backoff({ initial: 20 }) });
    cc.createSender(conn, 'q');
    const sr = sc.run();
    const cr = cc.run();
    await until(5000, 'the client comes back', () => openings === 2);
    await until(5000, 'the client is open again', () => conn.remoteState === State.REMOTE_ACTIVE);
    later(cc, 0, () => conn.close());
    await within(5000, 'the client closes', cr);
    assert.equal(proxy.accepted, 2, 'the server saw the client come back');
    assert.equal(client.count('onConnectionError'), 0);
    assert.equal(client.count('onConnectionClosing'), 0);
    assert.equal(client.count('onConnectionClosed'), 1, 'only the close of its own');
    acceptor.close();
    await within(2000, 'the server ends', sr);
  });

  describe('deliveries in flight when the peer dies: event.inDoubt in onDisconnected', () => {
    for (const reconnect of [false, true]) {
      test(reconnect ? 'with reconnect (given up after two more tries)' : 'without reconnect', async (t) => {
        // The server accepts messages 1 and 2, holds 3 to 5 unsettled, then dies.
        const scope = new Scope(t);
        const broker = new QueueServer(
          { autoAccept: false },
          {
            onMessage(e) {
              const id = e.message!.id as number;
              if (id <= 2) this.accept(e.delivery!);
              if (id === 5) later(sc, 20, () => sc.stop());
            },
          },
        );
        const sc = scope.container(broker);
        const acceptor = await sc.listen(`${HOST}:0`);
        const doubts: { tag: string; context: unknown; settled: boolean }[][] = [];
        let sent = 0;
        const client = new Recorder(
          {},
          {
            onSendable(e) {
              while (e.sender!.credit > 0 && sent < 5) {
                const d = e.sender!.send(new Message({ id: ++sent, body: sent }));
                d.context = sent;
              }
            },
            onDisconnected(e) {
              doubts.push(
                e.inDoubt.map((d: Delivery) => ({
                  tag: Buffer.from(d.tag).toString(),
                  context: d.context,
                  settled: d.remoteSettled,
                })),
              );
            },
          },
        );
        const cc = scope.container(client);
        const conn = cc.connect(`${HOST}:${acceptor.port}`, {
          reconnect: reconnect ? new Backoff({ initial: 50, maxTries: 2 }) : false,
        });
        const sender: Sender = cc.createSender(conn, 'q');
        await runAll(5000, 'the server dies, the client gives up', sc, cc);
        assert.equal(client.count('onAccepted'), 2);
        assert.deepEqual(
          doubts[0],
          [3, 4, 5].map((n) => ({ tag: String(n), context: n, settled: false })),
          'the unsettled sends, in order',
        );
        if (reconnect) {
          // The connection had opened, so the sequence started over: an immediate reconnect, then one
          // after 50 ms, both refused; each failed attempt reports them again: they are still in doubt.
          assert.equal(doubts.length, 3);
          assert.deepEqual(doubts[1], doubts[0]);
          assert.deepEqual(doubts[2], doubts[0]);
          assert.deepEqual(
            sender.inDoubt.map((d) => d.context),
            [3, 4, 5],
          );
        } else {
          assert.equal(doubts.length, 1);
        }
      });
    }
  });

  test('resend: 10,000 messages across 5 forced disconnects all arrive (duplicates counted, nothing lost)', async (t) => {
    const scope = new Scope(t);
    const N = 10_000;
    const DROPS = 5;
    const seen = new Uint8Array(N + 1);
    let unique = 0;
    let duplicates = 0;
    let drops = 0;
    const server = new Recorder(
      { prefetch: 500 },
      {
        onLinkOpening(e) {
          e.link!.target.address = e.link!.remoteTarget?.address;
        },
        onMessage(e) {
          const id = e.message!.id as number;
          if (seen[id]) duplicates++;
          else {
            seen[id] = 1;
            unique++;
            // Mid-stream: both sockets of the relayed connection destroyed at once.
            if (drops < DROPS && unique >= ((drops + 1) * N) / (DROPS + 1)) {
              drops++;
              proxy.dropAll();
            }
          }
        },
      },
    );
    const sc = scope.container(server);
    const acceptor = await sc.listen(`${HOST}:0`);
    const proxy = scope.add(new TcpProxy(acceptor.port));
    await proxy.listen();

    const accepted = new Uint8Array(N + 1);
    let acceptedUnique = 0;
    let next = 1;
    let inDoubtSeen = 0;
    const client = new Recorder(
      {},
      {
        onSendable(e) {
          while (e.sender!.credit > 0 && next <= N) {
            const d = e.sender!.send(new Message({ id: next, body: `message ${next}` }));
            d.context = next++;
          }
        },
        onAccepted(e) {
          const id = e.delivery!.context as number;
          if (accepted[id]) return;
          accepted[id] = 1;
          if (++acceptedUnique === N) e.connection!.close();
        },
        onDisconnected(e) {
          inDoubtSeen += e.inDoubt.length;
        },
      },
    );
    const cc = scope.container(client);
    const conn = cc.connect(`${HOST}:${proxy.port}`, {
      reconnect: new Backoff({ initial: 10, maxDelay: 50 }),
    });
    cc.createSender(conn, 'q', { resend: true });
    const t0 = performance.now();
    const sr = sc.run();
    await within(20_000, () => `all accepted (${acceptedUnique} of ${N}, ${drops} drops)`, cc.run());
    const ms = performance.now() - t0;
    t.diagnostic(
      `${N} messages in ${ms.toFixed(0)} ms across ${drops} drops: ${duplicates} duplicates at the receiver; ` +
        `${proxy.accepted} connections; in doubt at the disconnects: ${inDoubtSeen}`,
    );
    assert.equal(drops, DROPS);
    assert.equal(client.count('onDisconnected'), DROPS);
    assert.equal(unique, N, 'every message arrived');
    const lost = [];
    for (let i = 1; i <= N; i++) if (!seen[i]) lost.push(i);
    assert.deepEqual(lost, []);
    assert.equal(proxy.accepted, DROPS + 1);
    acceptor.close();
    await within(2000, 'the server ends', sr);
  });
});
