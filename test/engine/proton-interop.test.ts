/**
 * The engine against Apache Qpid Proton Python 0.37 over real sockets (test/support/socket-driver.ts):
 *
 * - as a client with SASL ANONYMOUS, through Proton's example broker.py: 1,000 messages of mixed sizes
 *   (10 bytes to 100 KB, and a few of 1 MiB) sent to a queue and received back, the 1 MiB ones in
 *   several transfers (Proton 0.37 advertises no max-frame-size, so they go out in one; the outcome test
 *   has Proton ask for 16 KiB frames, so that our sender splits too);
 * - session flow control: received through a 128 KiB session capacity, reading partial deliveries;
 * - idle timeouts both ways: Proton's heartbeats keep ours from expiring, and ours keep Proton's;
 * - as a server, with Proton's simple_send.py sending to it and simple_recv.py receiving from it; as a
 *   client, receiving from direct_send.py and sending to direct_recv.py (which listen);
 * - outcomes both ways: our sender against test/fixtures/proton/outcome_receiver.py, our receiver against
 *   test/fixtures/proton/outcome_sender.py.
 *
 * Run with PN_TRACE_FRM=1 to have both sides print their frames (Proton's lines start with `[python]`).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import {
  Accepted,
  AmqpError,
  AmqpSymbol,
  type AmqpValue,
  Modified,
  Rejected,
  Released,
  symbol,
} from '../../src/codec/index.js';
import type { Delivery, EngineEvent, Receiver, Sender } from '../../src/engine/index.js';
import { Message } from '../../src/message/index.js';
import { traceFramesEnabled } from '../../src/util/logger.js';
import { PYTHON, protonScriptPath, requireProton } from '../support/proton-python.js';
import { freePort, listen, SocketDriver } from '../support/socket-driver.js';

const EXAMPLES = '/usr/share/proton/examples/python';
const HOST = '127.0.0.1';

// ------------------------------------------------------------------------------------------------
// Helpers: Python processes, deadlines, message bytes

interface PythonRun {
  readonly proc: ChildProcess;
  /** The lines printed on stdout so far. */
  readonly lines: string[];
  /** Settles with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  stderr(): string;
  kill(): void;
}

/** Every Python process started and not yet seen to exit: killed in `after`, and on exit at the latest. */
const live = new Set<ChildProcess>();
function killAll(): void {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
process.on('exit', killAll);

function python(script: string, args: string[]): PythonRun {
  const proc = spawn(PYTHON, ['-u', script, ...args], {
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const lines: string[] = [];
  let partial = '';
  let err = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (s: string) => {
    const parts = (partial + s).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr!.setEncoding('utf8');
  const echo = traceFramesEnabled();
  proc.stderr!.on('data', (s: string) => {
    err += s;
    if (echo) process.stderr.write(s.replace(/^(?=.)/gm, '[python] '));
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.on('close', (code, signal) => {
      live.delete(proc);
      if (partial !== '') lines.push(partial);
      partial = '';
      resolve(code ?? signal ?? 'unknown');
    });
    proc.on('error', (e) => {
      err += String(e);
      resolve('spawn-error');
    });
  });
  return {
    proc,
    lines,
    exited,
    stderr: () => err,
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/**
 * `p`, or a failure naming `what` after `ms` (with the Python side's stderr, when given), or the failure
 * of a driver (or server of drivers) in `watch`, as soon as one fails.
 */
async function within<T>(
  ms: number,
  what: string,
  p: Promise<T>,
  py?: PythonRun,
  watch: { whenFailed: Promise<never> }[] = [],
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`${what}: no answer in ${ms} ms${py ? `\nPython stderr:\n${py.stderr()}` : ''}`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout, ...watch.map((w) => w.whenFailed)]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise with its resolve at hand. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Every byte of the current delivery of `r` (which must be complete), as one buffer. */
function readAll(r: Receiver): Buffer {
  const parts: Uint8Array[] = [];
  for (let b = r.recv(1 << 20); b !== undefined; b = r.recv(1 << 20)) parts.push(b);
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed | 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x, i);
  }
  for (; i < size; i++) out[i] = i & 0xff;
  return out;
}

/** The map `{'sequence': n}` Proton's example senders put in each body. */
function sequenceOf(body: unknown): unknown {
  if (!(body instanceof Map)) return body;
  return body.get('sequence');
}

const plainNumber = (v: unknown): unknown =>
  typeof v === 'bigint'
    ? Number(v)
    : typeof v === 'object' && v !== null && 'value' in v
      ? plainNumber(v.value)
      : v;

/** An error condition's fields, as the tests compare them. */
function conditionOf(e: AmqpError | undefined): unknown {
  if (e === undefined) return undefined;
  return {
    condition: String(e.condition),
    description: e.description,
    info: e.info instanceof Map ? [...e.info].map(([k, v]) => [keyName(k), plainNumber(v)]) : e.info,
  };
}

/** A key of a symbol-keyed map (the decoder gives such keys as strings; a symbol would do too). */
function keyName(k: unknown): string {
  return k instanceof AmqpSymbol ? k.value : String(k);
}

function annotationsOf(m: unknown): unknown {
  return m instanceof Map ? [...m].map(([k, v]) => [keyName(k), v]) : m;
}

// ------------------------------------------------------------------------------------------------

describe('interop with Proton Python 0.37 over sockets', { timeout: 60_000 }, () => {
  // A test that failed before its `finally` (an uncaught error) may leave a process behind.
  after(killAll);

  test('client with SASL ANONYMOUS: 1,000 messages of mixed sizes through broker.py, and back', async (t) => {
    if (!requireProton(t)) return;
    const N = 1000;
    const BIG = new Set([111, 444, 777, 999]); // 1 MiB each
    const bodies: Buffer[] = [];
    let seed = 12345;
    for (let i = 0; i < N; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const size = BIG.has(i) ? 1 << 20 : Math.floor(10 * 10 ** (4 * (seed / 0x7fffffff)));
      bodies.push(noise(size, i + 1));
    }
    const encoded = bodies.map((body, i) =>
      new Message({ id: i + 1, properties: { index: i }, body, bodyKind: 'data' }).encode(),
    );
    const total = encoded.reduce((n, b) => n + b.length, 0);

    const port = await freePort();
    const broker = python(`${EXAMPLES}/broker.py`, ['-a', `${HOST}:${port}`]);
    const drivers: SocketDriver[] = [];
    try {
      // --- Send: as the broker's credit allows, each delivery settled once the broker accepts it.
      const t0 = performance.now();
      const sendDone = deferred();
      const outcomes: unknown[] = new Array(N);
      let next = 0;
      let settled = 0;
      const fill = (sender: Sender) => {
        while (sender.credit > 0 && next < N) {
          const d = sender.delivery();
          d.context = next;
          sender.send(encoded[next]!);
          sender.advance();
          next++;
        }
      };
      const a = await within(
        10_000,
        'connect to broker.py',
        SocketDriver.connect(HOST, port, { retryMs: 8000, sasl: { client: {} }, hostname: HOST }),
        broker,
      );
      drivers.push(a);
      const sender = a.connection.session().sender('interop-send');
      sender.target.address = 'examples';
      a.handle((e: EngineEvent) => {
        if (e.type === 'link_flow' && e.context === sender) fill(sender);
        if (e.type === 'delivery') {
          const d = e.context as Delivery;
          if (d.remote === undefined && !d.remoteSettled) return;
          const i = d.context as number;
          if (outcomes[i] === undefined) {
            outcomes[i] = d.remote;
            if (!d.settled) d.settle();
            if (++settled === N) sendDone.resolve();
          }
        }
      });
      a.connection.open();
      sender.session.open();
      sender.open();
      await within(30_000, `broker.py settles ${N} messages (${settled} so far)`, sendDone.promise, broker, [
        a,
      ]);
      const t1 = performance.now();
      assert.equal(a.transport.sasl?.mechanism, 'ANONYMOUS');
      assert.equal(a.transport.sasl?.succeeded, true);
      const notAccepted = outcomes.flatMap((o, i) => (o instanceof Accepted ? [] : [[i, o]]));
      assert.deepEqual(notAccepted, [], 'every message accepted by broker.py');
      // Proton 0.37 advertises no max-frame-size (no limit): our transfers need no splitting here (the
      // outcome tests below have Proton ask for small frames).
      const remoteMax = a.transport.remoteMaxFrameSize;
      const framesOut = a.transport.framesOutput;
      a.close();
      const ra = await within(5000, 'close of the sending connection', a.whenClosed, broker);
      assert.equal(ra.transportCondition, undefined);

      // --- Receive: credit in batches of 100, topped up when half is used; accept each message.
      const BATCH = 100;
      const recvDone = deferred();
      const received: Buffer[] = [];
      const multiFrame = new Set<number>();
      let topUps = 0;
      let maxCredit = 0;
      const b = await within(
        5000,
        'connect to broker.py again',
        SocketDriver.connect(HOST, port, { sasl: { client: {} }, hostname: HOST }),
        broker,
      );
      drivers.push(b);
      const receiver = b.connection.session().receiver('interop-recv');
      receiver.source.address = 'examples';
      b.handle((e: EngineEvent) => {
        if (e.type !== 'delivery') return;
        const d = e.context as Delivery;
        if (d.partial) return;
        if (b.cameInPieces(d)) multiFrame.add(received.length);
        assert.equal(receiver.current, d, 'a complete delivery is the current one, in order');
        received.push(readAll(receiver));
        d.update(new Accepted());
        d.settle();
        receiver.advance();
        if (received.length === N) return recvDone.resolve();
        if (receiver.credit < BATCH / 2) {
          topUps++;
          receiver.flow(BATCH - receiver.credit);
        }
        maxCredit = Math.max(maxCredit, receiver.credit);
      });
      b.connection.open();
      receiver.session.open();
      receiver.open();
      receiver.flow(BATCH);
      await within(
        30_000,
        `receive ${N} messages from broker.py (${received.length} so far)`,
        recvDone.promise,
        broker,
        [b],
      );
      const t2 = performance.now();
      b.close();
      const rb = await within(5000, 'close of the receiving connection', b.whenClosed, broker);
      assert.equal(rb.transportCondition, undefined);

      assert.equal(received.length, N);
      let sameBytes = 0;
      for (let i = 0; i < N; i++) {
        const m = Message.decode(received[i]!);
        assert.equal(m.properties?.index !== undefined ? plainNumber(m.properties.index) : undefined, i);
        assert.equal(m.id, i + 1);
        assert.equal(m.bodyKind, 'data');
        const body = m.body as Uint8Array;
        assert.ok(
          Buffer.from(body.buffer, body.byteOffset, body.byteLength).equals(bodies[i]!),
          `body ${i} (${bodies[i]!.length} bytes) comes back byte for byte`,
        );
        if (received[i]!.equals(encoded[i]!)) sameBytes++;
      }
      for (const i of BIG) assert.ok(multiFrame.has(i), `the 1 MiB message ${i} came in several transfers`);
      assert.ok(topUps >= N / BATCH, `credit was topped up in batches (${topUps} times)`);
      assert.ok(maxCredit <= BATCH);
      t.diagnostic(
        `${N} messages, ${(total / 1048576).toFixed(1)} MiB: sent in ${(t1 - t0).toFixed(0)} ms, ` +
          `received in ${(t2 - t1).toFixed(0)} ms; broker.py's max-frame-size ${remoteMax} (${framesOut} frames ` +
          `out), ours ${b.transport.maxFrameSize} (${multiFrame.size} messages in several transfers); ` +
          `${sameBytes}/${N} messages re-encoded by Proton to the very bytes proton-ts sent`,
      );
    } finally {
      for (const d of drivers) d.destroy();
      broker.kill();
    }
  });

  test('session window: a small incoming capacity, messages read as they come (broker.py)', async (t) => {
    if (!requireProton(t)) return;
    // 60 messages of 100 KB and 2 of 1 MiB, received with frames of 16 KiB and a session capacity of
    // 128 KiB (a window of 8 frames): Proton must wait for our session flows, and we must read partial
    // deliveries to reopen the window.
    const bodies = Array.from({ length: 62 }, (_, i) =>
      noise(i === 20 || i === 50 ? 1 << 20 : 100_000, i + 99),
    );
    const port = await freePort();
    const broker = python(`${EXAMPLES}/broker.py`, ['-a', `${HOST}:${port}`]);
    const drivers: SocketDriver[] = [];
    try {
      const a = await within(
        10_000,
        'connect to broker.py',
        SocketDriver.connect(HOST, port, { retryMs: 8000, sasl: { client: {} } }),
        broker,
      );
      drivers.push(a);
      const sender = a.connection.session().sender('window-send');
      sender.target.address = 'window';
      const sent = deferred();
      let next = 0;
      let accepted = 0;
      a.handle((e) => {
        if (e.type === 'link_flow' && e.context === sender) {
          while (sender.credit > 0 && next < bodies.length) {
            sender.delivery();
            sender.send(new Message({ body: bodies[next], bodyKind: 'data' }).encode());
            sender.advance();
            next++;
          }
        }
        if (e.type === 'delivery') {
          const d = e.context as Delivery;
          if (d.remote instanceof Accepted && !d.settled) {
            d.settle();
            if (++accepted === bodies.length) sent.resolve();
          }
        }
      });
      a.connection.open();
      sender.session.open();
      sender.open();
      await within(
        20_000,
        `broker.py accepts ${bodies.length} messages (${accepted} so far)`,
        sent.promise,
        broker,
        [a],
      );
      a.close();
      await within(5000, 'close of the sending connection', a.whenClosed, broker);

      const CAPACITY = 128 * 1024;
      const b = await within(
        5000,
        'connect to broker.py again',
        SocketDriver.connect(HOST, port, { sasl: { client: {} }, transport: { maxFrameSize: 16384 } }),
        broker,
      );
      drivers.push(b);
      const session = b.connection.session();
      session.incomingCapacity = CAPACITY;
      const receiver = session.receiver('window-recv');
      receiver.source.address = 'window';
      const got = deferred();
      const received: Buffer[] = [];
      let parts: Uint8Array[] = [];
      let maxHeld = 0;
      b.handle((e) => {
        if (e.type !== 'delivery') return;
        const d = e.context as Delivery;
        maxHeld = Math.max(maxHeld, session.incomingBytes);
        if (receiver.current !== d) return;
        // Read what has come so far, complete or not: that is what reopens the session window.
        for (let c = receiver.recv(1 << 20); c !== undefined; c = receiver.recv(1 << 20)) parts.push(c);
        if (d.partial) return;
        received.push(Buffer.concat(parts));
        parts = [];
        d.update(new Accepted());
        d.settle();
        receiver.advance();
        if (received.length === bodies.length) got.resolve();
      });
      b.connection.open();
      session.open();
      receiver.open();
      receiver.flow(bodies.length);
      await within(
        20_000,
        `receive ${bodies.length} messages through a ${CAPACITY}-byte window (${received.length} so far)`,
        got.promise,
        broker,
        [b],
      );
      b.close();
      const r = await within(5000, 'close of the receiving connection', b.whenClosed, broker);
      assert.equal(r.transportCondition, undefined);
      assert.equal(received.length, bodies.length);
      for (let i = 0; i < bodies.length; i++) {
        const body = Message.decode(received[i]!).body as Uint8Array;
        assert.ok(Buffer.from(body).equals(bodies[i]!), `body ${i} comes back byte for byte`);
      }
      assert.ok(maxHeld <= CAPACITY, `never more than the capacity held (at most ${maxHeld} bytes)`);
      t.diagnostic(`at most ${maxHeld} bytes held unread of a ${CAPACITY}-byte capacity`);
    } finally {
      for (const d of drivers) d.destroy();
      broker.kill();
    }
  });

  test('idle timeout: Proton heartbeats keep our idle connection open (direct_recv.py)', async (t) => {
    if (!requireProton(t)) return;
    const port = await freePort();
    const py = python(`${EXAMPLES}/direct_recv.py`, ['-a', `${HOST}:${port}/examples`, '-m', '1']);
    let c: SocketDriver | undefined;
    try {
      // An idle timeout of 1 s, advertised as 500 ms (half, as Proton does): Proton 0.37 then sends an
      // empty frame every 500 ms or so, and our transport must not time out in 2 s of silence.
      c = await within(
        10_000,
        'connect to direct_recv.py',
        SocketDriver.connect(HOST, port, {
          retryMs: 8000,
          sasl: { client: {} },
          transport: { idleTimeout: 1000 },
        }),
        py,
      );
      const sender = c.connection.session().sender('idle');
      sender.target.address = 'examples';
      const opened = deferred();
      c.handle((e) => {
        if (e.type === 'link_remote_open') opened.resolve();
      });
      c.connection.open();
      sender.session.open();
      sender.open();
      await within(5000, 'the link opens', opened.promise, py, [c]);
      const before = c.transport.framesInput;
      await new Promise((r) => setTimeout(r, 2000));
      const heartbeats = c.transport.framesInput - before;
      assert.equal(c.transport.condition, undefined, 'the connection is still up after 2 s of silence');
      assert.ok(heartbeats >= 2, `Proton sent empty frames while idle (${heartbeats} in 2 s)`);
      sender.delivery();
      sender.send(new Message({ body: 'after the silence' }).encode());
      sender.advance();
      const code = await within(10_000, 'direct_recv.py takes the message', py.exited, py, [c]);
      assert.equal(code, 0, py.stderr());
      assert.deepEqual(py.lines, ['after the silence']);
      const r = await within(5000, 'our connection closes', c.whenClosed, py);
      assert.equal(r.transportCondition, undefined);
      t.diagnostic(`${heartbeats} heartbeats from Proton in 2 s of silence`);
    } finally {
      c?.destroy();
      py.kill();
    }
  });

  test("idle timeout: our heartbeats keep Proton's idle connection open (outcome_sender.py)", async (t) => {
    if (!requireProton(t)) return;
    // Proton's idle timeout is 1 s (it advertises 500 ms): our transport's tick must send an empty frame
    // every 250 ms or so while the sender waits 2 s before sending.
    const accepted: number[] = [];
    const server = await listen(() => ({
      sasl: { server: {} },
      autoOpen: true,
      onEvent: (e) => {
        if (e.type === 'link_remote_open') (e.context as Receiver).flow(10);
        if (e.type !== 'delivery') return;
        const d = e.context as Delivery;
        if (d.partial) return;
        const r = d.link as Receiver;
        accepted.push(plainNumber(Message.decode(readAll(r)).properties?.index) as number);
        d.update(new Accepted());
        d.settle();
        r.advance();
      },
    }));
    const py = python(protonScriptPath('outcome_sender.py'), [
      '--heartbeat=1',
      '--delay=2',
      `${HOST}:${server.port}/idle`,
      'accept',
      'accept',
    ]);
    try {
      const code = await within(15_000, 'outcome_sender.py sends after its delay', py.exited, py, [server]);
      assert.equal(code, 0, py.stderr());
      assert.deepEqual(
        py.lines.map((l) => (JSON.parse(l) as { event: string }).event),
        ['accepted', 'accepted'],
        py.stderr(),
      );
      const d = server.drivers[0]!;
      const r = await within(5000, 'our server connection closes', d.whenClosed, py);
      assert.equal(r.transportCondition, undefined);
      assert.equal(r.remoteCondition, undefined, 'Proton closed without an error (no idle timeout)');
      assert.equal(d.transport.remoteIdleTimeout, 500);
      assert.deepEqual(accepted, [0, 1]);
      t.diagnostic(`${d.transport.framesOutput} frames out, heartbeats included`);
    } finally {
      py.kill();
      await server.close();
    }
  });

  test('server: simple_send.py sends to our receiver ({sequence: n} bodies)', async (t) => {
    if (!requireProton(t)) return;
    const N = 200;
    const bodies: unknown[] = [];
    const ids: unknown[] = [];
    const done = deferred();
    const server = await listen(() => ({
      sasl: { server: { mechanisms: 'ANONYMOUS' } },
      autoOpen: true,
      onEvent: (e) => {
        if (e.type === 'link_remote_open') (e.context as Receiver).flow(50);
        if (e.type !== 'delivery') return;
        const d = e.context as Delivery;
        if (d.partial) return;
        const r = d.link as Receiver;
        const m = Message.decode(readAll(r));
        bodies.push(plainNumber(sequenceOf(m.body)));
        ids.push(m.id);
        d.update(new Accepted());
        d.settle();
        r.advance();
        if (r.credit < 10) r.flow(50 - r.credit);
        if (bodies.length === N) done.resolve();
      },
    }));
    const py = python(`${EXAMPLES}/simple_send.py`, ['-a', `${HOST}:${server.port}/examples`, '-m', `${N}`]);
    try {
      await within(20_000, `simple_send.py sends ${N} messages`, done.promise, py, [server]);
      const code = await within(10_000, 'simple_send.py exits', py.exited, py, [server]);
      assert.equal(code, 0, py.stderr());
      assert.deepEqual(py.lines, ['all messages confirmed']);
      const d = server.drivers[0]!;
      const r = await within(5000, 'our server connection closes', d.whenClosed, py);
      assert.equal(r.transportCondition, undefined);
      assert.equal(d.transport.sasl?.mechanism, 'ANONYMOUS');
      assert.equal(server.drivers.length, 1);
      const expected = Array.from({ length: N }, (_, i) => i + 1);
      assert.deepEqual(bodies, expected);
      assert.deepEqual(ids, expected);
    } finally {
      py.kill();
      await server.close();
    }
  });

  test('server: simple_recv.py receives from our sender', async (t) => {
    if (!requireProton(t)) return;
    const N = 200;
    const texts = Array.from({ length: N }, (_, i) => `message ${i + 1}: héllo ✓ ${'x'.repeat(i % 17)}`);
    const outcomes: unknown[] = [];
    let next = 0;
    const server = await listen(() => ({
      sasl: { server: {} },
      autoOpen: true,
      onEvent: (e) => {
        if (e.type === 'link_flow') {
          const s = e.context as Sender;
          if (!s.isSender) return;
          while (s.credit > 0 && next < N) {
            s.delivery().context = next;
            s.send(new Message({ id: next + 1, body: texts[next] }).encode());
            s.advance();
            next++;
          }
        }
        if (e.type === 'delivery') {
          const d = e.context as Delivery;
          if (!d.outgoing || (d.remote === undefined && !d.remoteSettled)) return;
          outcomes[d.context as number] ??= d.remote;
          if (!d.settled) d.settle();
        }
      },
    }));
    const py = python(`${EXAMPLES}/simple_recv.py`, ['-a', `${HOST}:${server.port}/examples`, '-m', `${N}`]);
    try {
      const code = await within(20_000, `simple_recv.py takes ${N} messages`, py.exited, py, [server]);
      assert.equal(code, 0, py.stderr());
      assert.deepEqual(py.lines, texts);
      const d = server.drivers[0]!;
      const r = await within(5000, 'our server connection closes', d.whenClosed, py);
      assert.equal(r.transportCondition, undefined);
      const accepted = outcomes.filter((o) => o instanceof Accepted).length;
      assert.equal(accepted, N, `every message accepted (outcomes seen: ${outcomes.length})`);
    } finally {
      py.kill();
      await server.close();
    }
  });

  test('client: receives from direct_send.py (which listens)', async (t) => {
    if (!requireProton(t)) return;
    const N = 200;
    const port = await freePort();
    const py = python(`${EXAMPLES}/direct_send.py`, ['-a', `${HOST}:${port}/examples`, '-m', `${N}`]);
    let c: SocketDriver | undefined;
    try {
      const bodies: unknown[] = [];
      c = await within(
        10_000,
        'connect to direct_send.py',
        SocketDriver.connect(HOST, port, { retryMs: 8000, sasl: { client: {} }, hostname: HOST }),
        py,
      );
      const receiver = c.connection.session().receiver('direct-recv');
      receiver.source.address = 'examples';
      c.handle((e) => {
        if (e.type !== 'delivery') return;
        const d = e.context as Delivery;
        if (d.partial) return;
        bodies.push(plainNumber(sequenceOf(Message.decode(readAll(receiver)).body)));
        d.update(new Accepted());
        d.settle();
        receiver.advance();
        if (receiver.credit < 10) receiver.flow(40);
      });
      c.connection.open();
      receiver.session.open();
      receiver.open();
      receiver.flow(40);
      const code = await within(20_000, `direct_send.py sends ${N} messages`, py.exited, py, [c]);
      assert.equal(code, 0, py.stderr());
      assert.deepEqual(py.lines, ['all messages confirmed']);
      const r = await within(5000, 'our connection closes', c.whenClosed, py);
      assert.equal(r.transportCondition, undefined);
      assert.deepEqual(
        bodies,
        Array.from({ length: N }, (_, i) => i + 1),
      );
    } finally {
      c?.destroy();
      py.kill();
    }
  });

  test('client: sends to direct_recv.py (which listens)', async (t) => {
    if (!requireProton(t)) return;
    const N = 200;
    const texts = Array.from({ length: N }, (_, i) => `direct ${i + 1} ünïcödé ${'y'.repeat(i % 13)}`);
    const port = await freePort();
    const py = python(`${EXAMPLES}/direct_recv.py`, ['-a', `${HOST}:${port}/examples`, '-m', `${N}`]);
    let c: SocketDriver | undefined;
    try {
      c = await within(
        10_000,
        'connect to direct_recv.py',
        SocketDriver.connect(HOST, port, { retryMs: 8000, sasl: { client: {} }, hostname: HOST }),
        py,
      );
      const sender = c.connection.session().sender('direct-send');
      sender.target.address = 'examples';
      const outcomes: unknown[] = [];
      let next = 0;
      c.handle((e) => {
        if (e.type === 'link_flow' && e.context === sender) {
          while (sender.credit > 0 && next < N) {
            sender.delivery().context = next;
            sender.send(new Message({ id: next + 1, body: texts[next] }).encode());
            sender.advance();
            next++;
          }
        }
        if (e.type === 'delivery') {
          const d = e.context as Delivery;
          if (d.remote === undefined && !d.remoteSettled) return;
          outcomes[d.context as number] ??= d.remote;
          if (!d.settled) d.settle();
        }
      });
      c.connection.open();
      sender.session.open();
      sender.open();
      const code = await within(20_000, `direct_recv.py takes ${N} messages`, py.exited, py, [c]);
      assert.equal(code, 0, py.stderr());
      assert.deepEqual(py.lines, texts);
      const r = await within(5000, 'our connection closes', c.whenClosed, py);
      assert.equal(r.transportCondition, undefined);
      assert.equal(outcomes.filter((o) => o instanceof Accepted).length, N);
    } finally {
      c?.destroy();
      py.kill();
    }
  });

  const OUTCOMES = ['accept', 'reject', 'release', 'modify-failed', 'modify-undeliverable'] as const;

  test('outcomes: our sender sees each outcome outcome_receiver.py gives', async (t) => {
    if (!requireProton(t)) return;
    const plan = Array.from({ length: 20 }, (_, i) => OUTCOMES[i % OUTCOMES.length]!);
    // Every third body is 200 KB of binary; Proton asks for frames of 16 KiB: those go in 13 transfers.
    const MAX_FRAME = 16384;
    const bodyOf = (i: number) => (i % 3 === 0 ? noise(200_000, i + 7) : `outcome ${i}`);
    const port = await freePort();
    const py = python(protonScriptPath('outcome_receiver.py'), [`${port}`, `${plan.length}`, `${MAX_FRAME}`]);
    let c: SocketDriver | undefined;
    try {
      const seen: { state: unknown; settled: boolean }[] = [];
      let next = 0;
      c = await within(
        10_000,
        'connect to outcome_receiver.py',
        SocketDriver.connect(HOST, port, { retryMs: 8000, sasl: { client: {} }, hostname: HOST }),
        py,
      );
      const sender = c.connection.session().sender('outcomes');
      sender.target.address = 'outcomes';
      c.handle((e) => {
        if (e.type === 'link_flow' && e.context === sender) {
          while (sender.credit > 0 && next < plan.length) {
            sender.delivery().context = next;
            const body = bodyOf(next);
            const m = new Message({
              body,
              bodyKind: typeof body === 'string' ? 'value' : 'data',
              properties: { index: next, outcome: plan[next]! },
            });
            sender.send(m.encode());
            sender.advance();
            next++;
          }
        }
        if (e.type === 'delivery') {
          const d = e.context as Delivery;
          if (d.remote === undefined && !d.remoteSettled) return;
          const i = d.context as number;
          seen[i] ??= { state: d.remote, settled: d.remoteSettled };
          if (!d.settled) d.settle();
        }
      });
      c.connection.open();
      sender.session.open();
      sender.open();
      const code = await within(20_000, 'outcome_receiver.py takes every message', py.exited, py, [c]);
      assert.equal(code, 0, py.stderr());
      const r = await within(5000, 'our connection closes', c.whenClosed, py);
      assert.equal(r.transportCondition, undefined);
      assert.equal(c.transport.remoteMaxFrameSize, MAX_FRAME);
      const big = plan.filter((_, i) => i % 3 === 0).length;
      assert.ok(
        c.transport.framesOutput >= plan.length + big * 12,
        `the 200 KB messages went in 16 KiB transfers (${c.transport.framesOutput} frames out)`,
      );

      const printed = py.lines.map((l) => JSON.parse(l) as { index: number; outcome: string; body: unknown });
      const expectedBody = (i: number) => {
        const b = bodyOf(i);
        return typeof b === 'string'
          ? b
          : { sha256: createHash('sha256').update(b).digest('hex'), size: b.length };
      };
      assert.deepEqual(
        printed.map((p) => [p.index, p.outcome, p.body]),
        plan.map((o, i) => [i, o, expectedBody(i)]),
      );
      assert.equal(seen.length, plan.length);
      for (let i = 0; i < plan.length; i++) {
        const { state, settled } = seen[i]!;
        const what = `message ${i} (${plan[i]})`;
        assert.equal(settled, true, `${what} settled by Proton`);
        switch (plan[i]) {
          case 'accept':
            assert.ok(state instanceof Accepted, `${what}: ${String(state?.constructor.name)}`);
            break;
          case 'reject':
            assert.ok(state instanceof Rejected, `${what}: ${String(state?.constructor.name)}`);
            assert.deepEqual(conditionOf(state.error), {
              condition: 'amqp:precondition-failed',
              description: 'rejected by outcome_receiver.py',
              info: [['index', i]],
            });
            break;
          case 'release':
            assert.ok(state instanceof Released, `${what}: ${String(state?.constructor.name)}`);
            break;
          case 'modify-failed':
            assert.ok(state instanceof Modified, `${what}: ${String(state?.constructor.name)}`);
            assert.equal(state.deliveryFailed, true);
            assert.notEqual(state.undeliverableHere, true);
            break;
          case 'modify-undeliverable':
            assert.ok(state instanceof Modified, `${what}: ${String(state?.constructor.name)}`);
            assert.notEqual(state.deliveryFailed, true);
            assert.equal(state.undeliverableHere, true);
            assert.deepEqual(annotationsOf(state.messageAnnotations), [['x-opt-reason', 'test']]);
            break;
        }
      }
    } finally {
      c?.destroy();
      py.kill();
    }
  });

  test('outcomes: outcome_sender.py sees each outcome our receiver gives', async (t) => {
    if (!requireProton(t)) return;
    const plan = Array.from({ length: 20 }, (_, i) => OUTCOMES[(i * 3) % OUTCOMES.length]!);
    const applied: string[] = [];
    const server = await listen(() => ({
      sasl: { server: {} },
      autoOpen: true,
      onEvent: (e) => {
        if (e.type === 'link_remote_open') (e.context as Receiver).flow(plan.length);
        if (e.type !== 'delivery') return;
        const d = e.context as Delivery;
        if (d.partial) return;
        const r = d.link as Receiver;
        const m = Message.decode(readAll(r));
        const outcome = String(m.properties?.outcome);
        const index = plainNumber(m.properties?.index) as number;
        applied.push(`${index}:${outcome}`);
        if (outcome === 'accept') d.update(new Accepted());
        else if (outcome === 'reject') {
          const s = new Rejected();
          s.error = new AmqpError();
          s.error.condition = 'amqp:precondition-failed';
          s.error.description = `rejected ${index} by proton-ts`;
          s.error.info = new Map<AmqpValue, AmqpValue>([[symbol('index'), index]]);
          d.update(s);
        } else if (outcome === 'release') d.update(new Released());
        else if (outcome === 'modify-failed') {
          const s = new Modified();
          s.deliveryFailed = true;
          d.update(s);
        } else if (outcome === 'modify-undeliverable') {
          const s = new Modified();
          s.undeliverableHere = true;
          s.messageAnnotations = new Map<AmqpValue, AmqpValue>([[symbol('x-opt-why'), 'test']]);
          d.update(s);
        }
        d.settle();
        r.advance();
      },
    }));
    const py = python(protonScriptPath('outcome_sender.py'), [`${HOST}:${server.port}/outcomes`, ...plan]);
    try {
      const code = await within(20_000, 'outcome_sender.py sees every outcome', py.exited, py, [server]);
      assert.equal(code, 0, py.stderr());
      const d = server.drivers[0]!;
      const r = await within(5000, 'our server connection closes', d.whenClosed, py);
      assert.equal(r.transportCondition, undefined);
      assert.deepEqual(
        applied,
        plan.map((o, i) => `${i}:${o}`),
      );
      interface Seen {
        index: number;
        event: string;
        state: string;
        settled: boolean;
        condition: { name: string; description: string; info: Record<string, unknown> } | null;
        failed: boolean;
        undeliverable: boolean;
        annotations: Record<string, unknown> | null;
      }
      const seen = py.lines.map((l) => JSON.parse(l) as Seen).sort((a, b) => a.index - b.index);
      assert.deepEqual(
        seen.map((s) => s.index),
        plan.map((_, i) => i),
      );
      for (const s of seen) {
        const what = `message ${s.index} (${plan[s.index]}): ${JSON.stringify(s)}`;
        assert.equal(s.settled, true, what);
        switch (plan[s.index]) {
          case 'accept':
            assert.deepEqual([s.event, s.state, s.condition], ['accepted', 'ACCEPTED', null], what);
            break;
          case 'reject':
            assert.deepEqual([s.event, s.state], ['rejected', 'REJECTED'], what);
            assert.deepEqual(
              s.condition,
              {
                name: 'amqp:precondition-failed',
                description: `rejected ${s.index} by proton-ts`,
                info: { index: s.index },
              },
              what,
            );
            break;
          case 'release':
            assert.deepEqual(
              [s.event, s.state, s.failed, s.undeliverable],
              ['released', 'RELEASED', false, false],
              what,
            );
            break;
          case 'modify-failed':
            assert.deepEqual(
              [s.event, s.state, s.failed, s.undeliverable],
              ['released', 'MODIFIED', true, false],
              what,
            );
            break;
          case 'modify-undeliverable':
            assert.deepEqual(
              [s.event, s.state, s.failed, s.undeliverable],
              ['released', 'MODIFIED', false, true],
              what,
            );
            assert.deepEqual(s.annotations, { 'x-opt-why': 'test' }, what);
            break;
        }
      }
    } finally {
      py.kill();
      await server.close();
    }
  });
});
