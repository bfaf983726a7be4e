/**
 * A model-based property of the engine: a client and a server exchange messages over three links (two
 * from the client, one from the server) while fast-check interleaves, at random, credit grants (plain
 * and drain), sends of 0..5000 bytes (in one to three pieces, some pre-settled), pumps in chunks of
 * random size, reads, outcomes (accepted, rejected, released, modified, or none) and settlements on
 * either side, with random max-frame-sizes and session incoming capacities.
 *
 * A monitor decodes every frame as it goes over the wire and holds each side to the spec as the peer
 * told it: no transfer beyond the session's incoming window, no new delivery beyond link credit, no
 * frame above the peer's max-frame-size. After every step: no transport failed, no receiver holds more
 * deliveries than it granted, no session buffers more than its capacity. At the end, once everything is
 * granted, read and settled: each delivery arrived exactly once, in order, byte for byte, its outcome
 * reached the sender, and neither side still holds a delivery.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readValue } from '../../src/codec/composites.js';
import { Decoder } from '../../src/codec/decoder.js';
import {
  Accepted,
  AmqpError,
  Attach,
  Begin,
  Flow,
  Modified,
  Open,
  Rejected,
  Released,
  Transfer,
} from '../../src/codec/index.js';
import type { Delivery, DeliveryStateValue, Receiver, Sender, Session } from '../../src/engine/index.js';
import { serialAdd, serialDiff } from '../../src/util/serial.js';
import { pair, type Side } from '../support/pair.js';

// ------------------------------------------------------------------------------------------------
// The wire monitor

type Dir = 'client' | 'server';
const other = (d: Dir): Dir => (d === 'client' ? 'server' : 'client');

/** What one side has written and what it has learned from the other side's frames. */
interface SideView {
  /** The stream not yet cut into frames, and how much of the protocol header is left to skip. */
  pending: Buffer;
  headerLeft: number;
  /** The max-frame-size this side declared in its open. */
  maxFrameSize: number | undefined;
  /** This side's next outgoing transfer-id, counted on the wire. */
  nextOutgoingId: number | undefined;
  /** The incoming-window of the peer's begin, when it came before this side's own begin. */
  beginWindow: number | undefined;
  /** Where the peer's incoming window ends, as the peer's latest begin or flow told this side. */
  windowEnd: number | undefined;
  /** By this side's handle: the link name and whether this side is its sender. */
  handles: Map<number, { name: string; sender: boolean }>;
  /** By this side's handle: a delivery of this side's is half written. */
  inProgress: Set<number>;
}

/** Per link name: the sender's delivery-count on the wire, and the limit the receiver last set. */
interface LinkView {
  senderCount: number | undefined;
  /** delivery-count + link-credit from the receiver's latest flow, as the sender has received it. */
  limit: number | undefined;
}

class Monitor {
  readonly views: Record<Dir, SideView> = { client: newView(), server: newView() };
  readonly links = new Map<string, LinkView>();
  framesSeen = 0;
  transfersSeen = 0;

  private link(name: string): LinkView {
    let v = this.links.get(name);
    if (v === undefined) {
      v = { senderCount: undefined, limit: undefined };
      this.links.set(name, v);
    }
    return v;
  }

  /** Bytes `from` wrote: first checked against what `from` knew, then learned by the other side. */
  written(from: Dir, bytes: Buffer): void {
    const frames = cut(this.views[from], bytes);
    for (const f of frames) this.check(from, f);
    for (const f of frames) this.learn(other(from), f);
  }

  /** A frame as `from` wrote it: within the peer's limits as `from` knew them. */
  private check(from: Dir, f: WireFrame): void {
    this.framesSeen++;
    const me = this.views[from];
    const peer = this.views[other(from)];
    if (peer.maxFrameSize !== undefined) {
      assert.ok(
        f.size <= peer.maxFrameSize,
        `${from} wrote a frame of ${f.size} bytes; the peer's max-frame-size is ${peer.maxFrameSize}`,
      );
    }
    const body = f.body;
    if (body instanceof Open) me.maxFrameSize = body.maxFrameSize ?? 0xffffffff;
    else if (body instanceof Begin) {
      me.nextOutgoingId = body.nextOutgoingId;
      if (me.beginWindow !== undefined) me.windowEnd = serialAdd(body.nextOutgoingId, me.beginWindow);
    } else if (body instanceof Attach) {
      const sender = body.role === false;
      me.handles.set(body.handle, { name: body.name, sender });
      if (sender) this.link(body.name).senderCount = body.initialDeliveryCount ?? 0;
    } else if (body instanceof Flow && body.handle !== undefined) {
      const l = me.handles.get(body.handle);
      assert.ok(l !== undefined, `${from} sent a flow on handle ${body.handle}, never attached`);
      if (l.sender && body.deliveryCount !== undefined) this.link(l.name).senderCount = body.deliveryCount;
    } else if (body instanceof Transfer) {
      this.transfersSeen++;
      assert.ok(
        me.nextOutgoingId !== undefined && me.windowEnd !== undefined,
        `${from}: a transfer before begin`,
      );
      assert.ok(
        serialDiff(me.nextOutgoingId, me.windowEnd) > 0,
        `${from} wrote transfer-id ${me.nextOutgoingId} beyond the peer's incoming window (ends at ${me.windowEnd})`,
      );
      me.nextOutgoingId = serialAdd(me.nextOutgoingId, 1);
      const l = me.handles.get(body.handle);
      assert.ok(l?.sender, `${from} sent a transfer on handle ${body.handle}, not its sender`);
      const lv = this.link(l.name);
      if (!me.inProgress.has(body.handle)) {
        assert.ok(body.deliveryId !== undefined, `${from}: the first transfer of a delivery has no id`);
        assert.ok(
          lv.limit !== undefined && lv.senderCount !== undefined && serialDiff(lv.senderCount, lv.limit) > 0,
          `${from} started a delivery on '${l.name}' with delivery-count ${lv.senderCount} and the receiver's limit at ${lv.limit}: no credit`,
        );
        lv.senderCount = serialAdd(lv.senderCount, 1);
      }
      if (body.more === true) me.inProgress.add(body.handle);
      else me.inProgress.delete(body.handle);
    }
  }

  /** A frame `to` received: what it learns of the peer's limits. */
  private learn(to: Dir, f: WireFrame): void {
    const me = this.views[to];
    const body = f.body;
    if (body instanceof Begin) {
      // The peer's window counts from our first transfer-id: known once our own begin went out.
      if (me.nextOutgoingId === undefined) me.beginWindow = body.incomingWindow;
      else me.windowEnd = serialAdd(me.nextOutgoingId, body.incomingWindow);
    } else if (body instanceof Flow) {
      const base = body.nextIncomingId ?? me.nextOutgoingId ?? 0;
      me.windowEnd = serialAdd(base, body.incomingWindow);
      if (body.handle !== undefined) {
        // The sender of this flow is the link's receiver when the side that learns is its sender.
        const peerHandles = this.views[other(to)].handles;
        const l = peerHandles.get(body.handle);
        if (l !== undefined && !l.sender && body.linkCredit !== undefined) {
          const lv = this.link(l.name);
          const count = body.deliveryCount ?? lv.senderCount ?? 0;
          lv.limit = serialAdd(count, body.linkCredit);
        }
      }
    }
  }
}

function newView(): SideView {
  return {
    pending: Buffer.alloc(0),
    headerLeft: 8,
    maxFrameSize: undefined,
    nextOutgoingId: undefined,
    beginWindow: undefined,
    windowEnd: undefined,
    handles: new Map(),
    inProgress: new Set(),
  };
}

interface WireFrame {
  size: number;
  body: unknown;
  payload: number;
}

/** Cuts a side's output into frames (after its protocol header), keeping a partial frame for later. */
function cut(v: SideView, bytes: Buffer): WireFrame[] {
  let buf = v.pending.length > 0 ? Buffer.concat([v.pending, bytes]) : bytes;
  if (v.headerLeft > 0) {
    const k = Math.min(v.headerLeft, buf.length);
    v.headerLeft -= k;
    buf = buf.subarray(k);
  }
  const out: WireFrame[] = [];
  let pos = 0;
  while (buf.length - pos >= 8) {
    const size = buf.readUInt32BE(pos);
    if (buf.length - pos < size) break;
    const doff = buf[pos + 4]! * 4;
    if (doff === size) {
      out.push({ size, body: undefined, payload: 0 });
    } else {
      const d = new Decoder(buf.subarray(pos, pos + size), {}, doff);
      const body = readValue(d);
      out.push({ size, body, payload: size - d.pos });
    }
    pos += size;
  }
  v.pending = Buffer.from(buf.subarray(pos));
  return out;
}

// ------------------------------------------------------------------------------------------------
// The world: the two engines, the monitor and the model

interface Sent {
  tag: string;
  bytes: Buffer;
  presettled: boolean;
  d: Delivery;
  /** The sender settled before the receiver's settlement reached it (then it never will). */
  settledFirst: boolean;
}

interface Received {
  tag: string;
  chunks: Buffer[];
  complete: boolean;
  d: Delivery;
  /** The outcome set here (undefined until one is; settle may come without one). */
  outcome: DeliveryStateValue | undefined;
}

interface LinkModel {
  name: string;
  fromClient: boolean;
  snd: Sender;
  rcv: Receiver;
  sent: Sent[];
  received: Received[];
  granted: number;
  nextTag: number;
}

interface Config {
  clientMaxFrame: number;
  serverMaxFrame: number;
  clientCapacity: number;
  serverCapacity: number;
}

class World {
  readonly client: Side;
  readonly server: Side;
  readonly monitor = new Monitor();
  readonly links: LinkModel[] = [];
  readonly clientSession: Session;
  readonly serverSession: Session;
  bytesMoved = 0;

  constructor(readonly cfg: Config) {
    const { client, server } = pair({
      client: { maxFrameSize: cfg.clientMaxFrame },
      server: { maxFrameSize: cfg.serverMaxFrame },
    });
    this.client = client;
    this.server = server;
    client.connection.open();
    const cs = client.connection.session();
    cs.incomingCapacity = cfg.clientCapacity;
    cs.open();
    const names = [
      { name: 'c2s-a', fromClient: true },
      { name: 'c2s-b', fromClient: true },
      { name: 's2c-a', fromClient: false },
    ];
    for (const n of names) (n.fromClient ? cs.sender(n.name) : cs.receiver(n.name)).open();
    this.pump(0);
    server.connection.open();
    const ss = server.connection.sessions[0]!;
    ss.incomingCapacity = cfg.serverCapacity;
    ss.open();
    for (const l of ss.links) l.open();
    this.pump(0);
    this.clientSession = cs;
    this.serverSession = ss;
    for (const n of names) {
      const cl = cs.links.find((l) => l.name === n.name)!;
      const sl = ss.links.find((l) => l.name === n.name)!;
      const snd = (n.fromClient ? cl : sl) as Sender;
      const rcv = (n.fromClient ? sl : cl) as Receiver;
      assert.ok(snd.isSender && rcv.isReceiver);
      this.links.push({ ...n, snd, rcv, sent: [], received: [], granted: 0, nextTag: 0 });
    }
    this.invariants();
  }

  /** pair.ts's pump, with the monitor watching every buffer before it is pushed. */
  pump(chunk: number): void {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      const ab = this.client.transport.takeOutput();
      const ba = this.server.transport.takeOutput();
      if (ab === undefined && ba === undefined) return;
      if (ab !== undefined) this.monitor.written('client', ab);
      if (ba !== undefined) this.monitor.written('server', ba);
      if (ab !== undefined) feed(this.server, ab, chunk);
      if (ba !== undefined) feed(this.client, ba, chunk);
      this.bytesMoved += (ab?.length ?? 0) + (ba?.length ?? 0);
    }
    throw new Error('pump did not settle in 10,000 rounds');
  }

  /** Reads what has arrived on a link: every complete delivery, and the bytes so far of a partial one. */
  receive(l: LinkModel): void {
    for (let d = l.rcv.current; d !== undefined; d = l.rcv.current) {
      let r = l.received.find((x) => x.d === d);
      if (r === undefined) {
        const tag = Buffer.from(d.tag).toString();
        assert.ok(!l.received.some((x) => x.tag === tag), `'${l.name}': delivery ${tag} arrived twice`);
        r = { tag, chunks: [], complete: false, d, outcome: undefined };
        l.received.push(r);
      }
      if (d.pending > 0) r.chunks.push(Buffer.from(l.rcv.recv(d.pending)!));
      if (d.partial) break;
      assert.ok(!d.aborted, 'nothing is aborted here');
      r.complete = true;
      l.rcv.advance();
    }
  }

  invariants(): void {
    for (const side of [this.client, this.server]) {
      assert.equal(
        side.transport.condition,
        undefined,
        `the ${side.transport.server ? 'server' : 'client'} failed: ${side.transport.condition}`,
      );
      assert.equal(side.transport.closed, false);
    }
    for (const l of this.links) {
      // Deliveries that reached the receiver (read and advanced past, or still queued there) are within
      // all the credit it ever granted.
      const arrived = l.received.filter((r) => r.complete).length + l.rcv.queued;
      assert.ok(arrived <= l.granted, `'${l.name}': ${arrived} deliveries arrived, ${l.granted} granted`);
      assert.ok(l.rcv.credit >= 0 && l.snd.credit >= -l.snd.queued);
    }
    for (const [s, cap] of [
      [this.clientSession, this.cfg.clientCapacity],
      [this.serverSession, this.cfg.serverCapacity],
    ] as const) {
      if (cap > 0) {
        assert.ok(s.incomingBytes <= cap, `a session buffers ${s.incomingBytes} bytes, capacity ${cap}`);
      }
    }
  }
}

function feed(s: Side, bytes: Buffer, chunk: number): void {
  if (chunk <= 0) return s.transport.push(bytes);
  for (let i = 0; i < bytes.length; i += chunk) s.transport.push(bytes.subarray(i, i + chunk));
}

/** `size` pseudo-random bytes from `seed`. */
function bytesOf(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

// ------------------------------------------------------------------------------------------------
// Commands

type Cmd = fc.Command<World, World>;

class Grant implements Cmd {
  constructor(
    readonly link: number,
    readonly n: number,
    readonly drain: boolean,
  ) {}
  check = () => true;
  run(_: World, w: World): void {
    const l = w.links[this.link]!;
    if (this.drain) l.rcv.drainCredit(this.n);
    else l.rcv.flow(this.n);
    l.granted += this.n;
    w.invariants();
  }
  toString = () => `${this.drain ? 'drain' : 'grant'}(${this.link}, ${this.n})`;
}

class Send implements Cmd {
  constructor(
    readonly link: number,
    readonly size: number,
    readonly seed: number,
    readonly pieces: number,
    readonly presettled: boolean,
  ) {}
  check = (w: Readonly<World>) => w.links[this.link]!.sent.length < 40;
  run(_: World, w: World): void {
    const l = w.links[this.link]!;
    const tag = `${l.name}-${l.nextTag++}`;
    const bytes = bytesOf(this.size, this.seed);
    const d = l.snd.delivery(tag);
    const piece = Math.max(1, Math.ceil(this.size / this.pieces));
    l.snd.send(bytes.subarray(0, piece));
    for (let i = piece; i < this.size; i += piece) l.snd.send(bytes.subarray(i, i + piece));
    l.snd.advance();
    if (this.presettled) d.settle();
    l.sent.push({ tag, bytes, presettled: this.presettled, d, settledFirst: false });
    w.invariants();
  }
  toString = () =>
    `send(${this.link}, ${this.size}B, seed ${this.seed}, ${this.pieces} pieces${this.presettled ? ', presettled' : ''})`;
}

class Pump implements Cmd {
  constructor(readonly chunk: number) {}
  check = () => true;
  run(_: World, w: World): void {
    w.pump(this.chunk);
    w.invariants();
  }
  toString = () => `pump(${this.chunk})`;
}

class Read implements Cmd {
  constructor(readonly link: number) {}
  check = () => true;
  run(_: World, w: World): void {
    w.receive(w.links[this.link]!);
    w.invariants();
  }
  toString = () => `read(${this.link})`;
}

const OUTCOMES = ['accepted', 'rejected', 'released', 'modified'] as const;
type OutcomeName = (typeof OUTCOMES)[number];

function outcome(name: OutcomeName, tag: string): DeliveryStateValue {
  switch (name) {
    case 'accepted':
      return new Accepted();
    case 'rejected': {
      const r = new Rejected();
      r.error = new AmqpError();
      r.error.condition = 'amqp:not-allowed';
      r.error.description = `rejected ${tag}`;
      return r;
    }
    case 'released':
      return new Released();
    case 'modified': {
      const m = new Modified();
      m.deliveryFailed = true;
      return m;
    }
  }
}

/** The receiver sets an outcome on (or settles) one of the deliveries it has read. */
class Dispose implements Cmd {
  constructor(
    readonly link: number,
    readonly pick: number,
    readonly what: OutcomeName | 'settle',
  ) {}
  check = () => true;
  run(_: World, w: World): void {
    const l = w.links[this.link]!;
    const open = l.received.filter((r) => r.complete && !r.d.settled);
    const r = open[this.pick % Math.max(1, open.length)];
    if (r === undefined) return;
    if (this.what === 'settle') r.d.settle();
    else if (r.outcome === undefined) {
      r.outcome = outcome(this.what, r.tag);
      r.d.update(r.outcome);
    }
    w.invariants();
  }
  toString = () => `dispose(${this.link}, #${this.pick}, ${this.what})`;
}

/** The sender settles one delivery whose outcome (or settlement) it has seen. */
class SenderSettle implements Cmd {
  constructor(
    readonly link: number,
    readonly pick: number,
  ) {}
  check = () => true;
  run(_: World, w: World): void {
    const l = w.links[this.link]!;
    const ready = l.sent.filter((s) => !s.d.settled && (s.d.remote !== undefined || s.d.remoteSettled));
    const s = ready[this.pick % Math.max(1, ready.length)];
    if (s === undefined) return;
    s.settledFirst = !s.d.remoteSettled;
    s.d.settle();
    w.invariants();
  }
  toString = () => `senderSettle(${this.link}, #${this.pick})`;
}

/** The sender answers a drain: the credit it cannot use goes back. */
class Drained implements Cmd {
  constructor(readonly link: number) {}
  check = () => true;
  run(_: World, w: World): void {
    w.links[this.link]!.snd.drained();
    w.invariants();
  }
  toString = () => `drained(${this.link})`;
}

const link = fc.integer({ min: 0, max: 2 });
const commands = [
  fc
    .record({ l: link, n: fc.integer({ min: 0, max: 6 }), drain: fc.nat(4).map((n) => n === 0) })
    .map(({ l, n, drain }) => new Grant(l, n, drain)),
  fc
    .record({
      l: link,
      size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 5000 })),
      seed: fc.integer(),
      pieces: fc.integer({ min: 1, max: 3 }),
      presettled: fc.nat(9).map((n) => n < 2),
    })
    .map(({ l, size, seed, pieces, presettled }) => new Send(l, size, seed, pieces, presettled)),
  fc
    .oneof(fc.constant(0), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 4096 }))
    .map((c) => new Pump(c)),
  link.map((l) => new Read(l)),
  fc
    .record({ l: link, pick: fc.nat(10), what: fc.constantFrom(...OUTCOMES, 'settle' as const) })
    .map(({ l, pick, what }) => new Dispose(l, pick, what)),
  fc.record({ l: link, pick: fc.nat(10) }).map(({ l, pick }) => new SenderSettle(l, pick)),
  link.map((l) => new Drained(l)),
];

const frameSize = fc.oneof(
  fc.constant(512),
  fc.integer({ min: 512, max: 4096 }),
  fc.integer({ min: 512, max: 65536 }),
);
const config = fc
  .record({
    clientMaxFrame: frameSize,
    serverMaxFrame: frameSize,
    clientFrames: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 })),
    serverFrames: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 })),
    extra: fc.nat(511),
  })
  .map(
    ({ clientMaxFrame, serverMaxFrame, clientFrames, serverFrames, extra }): Config => ({
      clientMaxFrame,
      serverMaxFrame,
      // 0: no limit (a window of 2^31-1); else room for 1..8 frames of this side's size, and a little.
      clientCapacity: clientFrames === 0 ? 0 : clientFrames * clientMaxFrame + extra,
      serverCapacity: serverFrames === 0 ? 0 : serverFrames * serverMaxFrame + extra,
    }),
  );

// ------------------------------------------------------------------------------------------------
// The end: everything granted, read and settled, then checked against the model

function finish(w: World): void {
  for (let round = 0; ; round++) {
    assert.ok(round < 200, 'the deliveries never all arrived: the flow stalled');
    for (const l of w.links) {
      const missing = l.sent.length - l.received.filter((r) => r.complete).length;
      // Enough credit for what has not arrived yet (a drain may have taken credit back).
      const owed = missing - l.rcv.credit;
      if (owed > 0) {
        l.rcv.flow(owed);
        l.granted += owed;
      }
      l.snd.drained();
      w.receive(l);
    }
    w.pump(0);
    w.invariants();
    if (w.links.every((l) => l.received.filter((r) => r.complete).length === l.sent.length)) break;
  }
  for (const l of w.links) {
    w.receive(l);
    for (const r of l.received) if (!r.d.settled) r.d.settle();
  }
  w.pump(0);
  for (const l of w.links) {
    for (const s of l.sent) {
      if (s.d.settled) continue;
      s.settledFirst = !s.d.remoteSettled;
      s.d.settle();
    }
  }
  w.pump(0);
  w.invariants();

  for (const l of w.links) {
    assert.deepEqual(
      l.received.map((r) => r.tag),
      l.sent.map((s) => s.tag),
      `'${l.name}': the deliveries arrived exactly once each, in order`,
    );
    for (let i = 0; i < l.sent.length; i++) {
      const s = l.sent[i]!;
      const r = l.received[i]!;
      assert.ok(Buffer.concat(r.chunks).equals(s.bytes), `'${l.name}' ${s.tag}: the bytes differ`);
      if (s.presettled) {
        assert.equal(r.d.remoteSettled, true, `${s.tag} was sent settled`);
        continue;
      }
      // The outcome set by the receiver reached the sender, with its fields.
      const want = r.outcome;
      const got = s.d.remote;
      if (!s.settledFirst) {
        assert.equal(s.d.remoteSettled, true, `${s.tag}: the receiver's settlement reached the sender`);
      }
      if (want === undefined) assert.equal(got, undefined, `${s.tag}: settled with no outcome`);
      else {
        assert.equal(
          (got as object | undefined)?.constructor,
          (want as object).constructor,
          `${s.tag}: outcome ${(want as object).constructor.name} came back as ${String(got)}`,
        );
        if (want instanceof Rejected) {
          assert.equal((got as Rejected).error?.condition, 'amqp:not-allowed');
          assert.equal((got as Rejected).error?.description, `rejected ${s.tag}`);
        }
        if (want instanceof Modified) assert.equal((got as Modified).deliveryFailed, true);
      }
    }
    // Nothing is left on either side's books once both settled.
    assert.equal(l.snd.unsettledCount, 0, `'${l.name}': the sender still holds deliveries`);
    assert.equal(l.rcv.unsettledCount, 0, `'${l.name}': the receiver still holds deliveries`);
  }
  for (const s of [w.clientSession, w.serverSession]) {
    assert.equal(s.outgoingDeliveries.size, 0, 'a session still maps outgoing deliveries');
    assert.equal(s.incomingDeliveries.size, 0, 'a session still maps incoming deliveries');
    assert.equal(s.incomingBytes, 0, 'a session still counts unread bytes');
  }
}

// ------------------------------------------------------------------------------------------------

/** About 2 s; PROPERTY_RUNS raises it for a longer hunt (60,000 runs pass). */
const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);

describe('engine properties (model-based)', () => {
  it('credit, windows, exactly-once byte-identical delivery and outcomes hold under any interleaving', (t) => {
    let transfers = 0;
    let bytes = 0;
    let deliveries = 0;
    fc.assert(
      fc.property(config, fc.commands(commands, { maxCommands: 80, size: 'large' }), (cfg, cmds) => {
        const w = new World(cfg);
        fc.modelRun(() => ({ model: w, real: w }), cmds);
        finish(w);
        transfers += w.monitor.transfersSeen;
        bytes += w.bytesMoved;
        deliveries += w.links.reduce((n, l) => n + l.sent.length, 0);
      }),
      { numRuns: NUM_RUNS, includeErrorInReport: true },
    );
    t.diagnostic(
      `${NUM_RUNS} runs: ${deliveries} deliveries, ${transfers} transfer frames, ${bytes} bytes moved`,
    );
    // The runs did exercise the engine (fast-check shrinking aside).
    assert.ok(deliveries > NUM_RUNS, `${deliveries} deliveries`);
    assert.ok(transfers >= deliveries);
    assert.ok(bytes > 100_000);
  });

  it('a small incoming capacity still moves large messages, frame by frame', () => {
    // The corner the property finds often: a window of one frame, messages of many frames.
    const w = new World({
      clientMaxFrame: 512,
      serverMaxFrame: 512,
      clientCapacity: 512,
      serverCapacity: 512,
    });
    const l = w.links[0]!;
    new Grant(0, 3, false).run(w, w);
    for (let i = 0; i < 3; i++) new Send(0, 5000, i, 1, false).run(w, w);
    for (let i = 0; i < 200 && l.received.filter((r) => r.complete).length < 3; i++) {
      w.pump(7);
      w.receive(l);
    }
    finish(w);
    assert.ok(w.monitor.transfersSeen >= 30, `${w.monitor.transfersSeen} transfers`);
  });

  // The smallest reproductions of what the property found, one per engine fault.

  it('a session with an incoming capacity opens its window again after empty messages are read', () => {
    // A capacity of one frame: a window of one transfer. An empty message takes it and adds no bytes,
    // so reading it frees no bytes: the window must still open again once the delivery is consumed.
    const w = new World({ clientMaxFrame: 512, serverMaxFrame: 512, clientCapacity: 0, serverCapacity: 512 });
    const l = w.links[0]!;
    new Grant(0, 2, false).run(w, w);
    new Send(0, 0, 0, 1, false).run(w, w);
    new Send(0, 0, 0, 1, false).run(w, w);
    for (let i = 0; i < 3; i++) {
      w.pump(0);
      w.receive(l);
    }
    assert.equal(
      l.received.filter((r) => r.complete).length,
      2,
      `the second empty message never came: the receiver's window is ${w.serverSession.incomingWindow}`,
    );
    finish(w);
  });

  it("a window opened by one link's flow lets the session's other senders go on", () => {
    // Room for two frames; two transfers on link a fill it. A flow on link b carries the session's
    // window, open again by one frame: a's third delivery, with credit, may go.
    const w = new World({
      clientMaxFrame: 512,
      serverMaxFrame: 512,
      clientCapacity: 0,
      serverCapacity: 1024,
    });
    const a = w.links[0]!;
    new Grant(0, 3, false).run(w, w);
    for (let i = 0; i < 3; i++) new Send(0, 1, i, 1, false).run(w, w);
    w.pump(0);
    assert.equal(a.rcv.queued, 2, 'two transfers fill the window');
    new Grant(1, 1, false).run(w, w);
    w.pump(0);
    // b's flow opened the window by one frame, and a's sender, with credit, used it at once.
    assert.equal(a.rcv.queued, 3, "a's sender had credit and window, yet did not send");
    assert.equal(w.clientSession.remoteIncomingWindow, 0);
    assert.equal(a.snd.linkCredit, 0);
  });

  it('a sender that settles first forgets the delivery once the receiver settles too', () => {
    const w = new World({
      clientMaxFrame: 65536,
      serverMaxFrame: 65536,
      clientCapacity: 0,
      serverCapacity: 0,
    });
    const l = w.links[0]!;
    new Grant(0, 1, false).run(w, w);
    new Send(0, 10, 1, 1, false).run(w, w);
    w.pump(0);
    w.receive(l);
    new Dispose(0, 0, 'accepted').run(w, w);
    w.pump(0);
    const sent = l.sent[0]!.d;
    assert.ok(sent.remote instanceof Accepted);
    sent.settle(); // the sender settles on the outcome, before the receiver settled
    w.pump(0);
    const received = l.received[0]!.d;
    assert.equal(received.remoteSettled, true);
    received.settle(); // the sender settled already: no disposition goes back
    w.pump(0);
    assert.equal(l.rcv.unsettledCount, 0);
    assert.equal(l.snd.unsettledCount, 0, 'the sender still holds a delivery settled on both sides');
    assert.equal(w.clientSession.outgoingDeliveries.size, 0, 'the session still maps it');
  });
});
