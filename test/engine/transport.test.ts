/**
 * The transport: protocol headers, framing and its violations, heartbeats and the idle timeout (with a
 * fake clock), max-frame-size negotiation, the end of the input stream, and input cut at any place
 * giving the same results as input given whole.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AmqpError,
  Attach,
  Begin,
  Close,
  End,
  Flow,
  Open,
  SaslInit,
  Target,
  Transfer,
} from '../../src/codec/composite-types.js';
import { Condition, type Receiver, State } from '../../src/engine/index.js';
import { Message } from '../../src/message/index.js';
import {
  amqpFrame,
  describeOutput,
  emptyFrame,
  failure,
  framesOf,
  header,
  make,
  parseOutput,
  performatives,
  RawPeer,
  rawFrame,
  saslFrame,
} from '../support/frames.js';
import { drain, pair, pump, type Side } from '../support/pair.js';

const FRAMING = 'amqp:connection:framing-error';
const CHUNKS = [1, 3, 7, 513];

function events(s: Side): string[] {
  return drain(s).filter((n) => n !== 'transport');
}

/** The transport's condition, read afresh (not narrowed by an earlier assertion). */
function conditionOf(s: Side): Condition | undefined {
  return s.transport.condition;
}

const OPEN = () => amqpFrame(0, make(Open, { containerId: 'raw' }));
const BEGIN = (channel = 0) =>
  amqpFrame(channel, make(Begin, { nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 }));

/** What a fresh server answers to `bytes` fed in pieces of `chunk`: its output, condition and events. */
function serve(bytes: Buffer[], chunk = 0, options: ConstructorParameters<typeof RawPeer>[0] = {}) {
  const peer = new RawPeer(options);
  peer.push(bytes, chunk);
  return {
    peer,
    output: peer.output,
    items: peer.items,
    condition: peer.transport.condition?.name,
    events: peer.events(),
    closeSent: failure(peer).closeSent,
  };
}

/** Asserts the server closed with `condition`, told the peer so in a close, and reported it. */
function assertFailed(r: ReturnType<typeof serve>, condition: string): void {
  assert.equal(r.condition, condition, `condition: ${r.peer.transport.condition}`);
  assert.equal(r.closeSent, condition);
  assert.ok(r.events.includes('transport_error'), `${r.events}`);
  assert.ok(r.peer.transport.headClosed && r.peer.transport.tailClosed);
  assert.ok(r.events.includes('transport_closed'), `${r.events}`);
  // The close is the last thing written.
  assert.equal(describeOutput(r.items).at(-1), 'Close');
}

describe('transport: protocol headers', () => {
  it('the client sends the AMQP header first, before anything is opened', () => {
    const { client } = pair();
    assert.equal(client.transport.pending(), 8);
    assert.deepEqual(client.transport.peek(100), header('AMQP'));
    client.connection.open();
    const items = parseOutput(client.transport.takeOutput()!);
    assert.deepEqual(describeOutput(items), ['header:0', 'Open']);
  });

  it('a server says nothing until the client header, then answers with its own', () => {
    const peer = new RawPeer();
    assert.equal(peer.transport.pending(), 0);
    peer.connection.open();
    assert.equal(peer.transport.pending(), 0, 'an open server still waits for the header');
    const out = peer.push(header('AMQP'));
    assert.deepEqual(describeOutput(out), ['header:0', 'Open']);
    assert.deepEqual(peer.output.subarray(0, 8), header('AMQP'));
    assert.equal(peer.transport.condition, undefined);
  });

  it('a server answers the header even before its connection is opened', () => {
    const peer = new RawPeer();
    assert.deepEqual(describeOutput(peer.push(header('AMQP'))), ['header:0']);
    assert.deepEqual(describeOutput(peer.push(OPEN())), []);
    assert.deepEqual(peer.events(), ['connection_init', 'connection_bound', 'connection_remote_open']);
  });

  it('a header split in pieces is waited for', () => {
    const peer = new RawPeer();
    assert.deepEqual(peer.push(header('AMQP').subarray(0, 3)), []);
    assert.deepEqual(peer.push(header('AMQP').subarray(3, 7)), []);
    assert.deepEqual(describeOutput(peer.push(header('AMQP').subarray(7))), ['header:0']);
  });

  for (const [name, bytes] of [
    ['a TLS header', header('TLS')],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['eight bytes of garbage', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])],
    ['an AMQP 0-9-1 header', Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')],
    ['a SASL header to a server without SASL', header('SASL')],
    ['an AMQP header of version 2.0.0', Buffer.from('AMQP\x00\x02\x00\x00', 'latin1')],
  ] as const) {
    it(`${name}: the server answers with its own header first, and closes with framing-error`, () => {
      const r = serve([bytes]);
      assert.equal(r.condition, FRAMING);
      assert.ok(r.events.includes('transport_error'), `${r.events}`);
      assert.ok(r.output.length >= 8, 'the server answers with its header');
      assert.deepEqual(r.output.subarray(0, 8), header('AMQP'));
      assert.equal(r.peer.transport.headClosed, true);
      assert.equal(r.peer.transport.tailClosed, true);
      // If a close follows the header, it carries the condition.
      if (r.items.length > 1) assert.equal(r.closeSent, FRAMING);
    });
  }

  it('a client that gets garbage instead of the header closes with framing-error', () => {
    const { client } = pair();
    client.connection.open();
    client.transport.takeOutput();
    client.transport.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n'));
    assert.equal(client.transport.condition?.name, FRAMING);
    assert.ok(events(client).includes('transport_error'));
  });

  it('a frame before the header is no header: framing-error', () => {
    const r = serve([OPEN()]);
    assert.equal(r.condition, FRAMING);
  });
});

describe('transport: framing errors', () => {
  const start = () => [header('AMQP'), OPEN()];

  for (const size of [0, 4, 7]) {
    it(`a frame whose size is ${size} (below 8): framing-error`, () => {
      const bad = Buffer.alloc(8);
      bad.writeUInt32BE(size, 0);
      bad[4] = 2;
      assertFailed(serve([...start(), bad]), FRAMING);
    });
  }

  it('a frame beyond our max-frame-size: framing-error', () => {
    const big = rawFrame({ body: Buffer.alloc(600) });
    assertFailed(serve([...start(), big], 0, { maxFrameSize: 512 }), FRAMING);
  });

  it('a frame of exactly our max-frame-size is taken', () => {
    let frame = BEGIN();
    for (let pad = 0; frame.length !== 512; pad++) {
      assert.ok(pad < 512);
      const properties = new Map([['pad', 'x'.repeat(pad)]]);
      frame = amqpFrame(
        0,
        make(Begin, { nextOutgoingId: 0, incomingWindow: 1, outgoingWindow: 1, properties }),
      );
    }
    const r = serve([header('AMQP'), OPEN(), frame], 0, { maxFrameSize: 512 });
    assert.equal(r.condition, undefined);
    assert.equal(r.peer.connection.sessions.length, 1);
  });

  it('a huge declared size is refused at once, without waiting for its bytes', () => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(0x10000000, 0);
    assertFailed(serve([...start(), size]), FRAMING);
  });

  for (const doff of [0, 1]) {
    it(`a data offset of ${doff} (below 2): framing-error`, () => {
      assertFailed(serve([...start(), rawFrame({ doff, body: Buffer.alloc(8) })]), FRAMING);
    });
  }

  it('a data offset past the end of the frame: framing-error', () => {
    assertFailed(serve([...start(), rawFrame({ doff: 3 })]), FRAMING);
    assertFailed(serve([...start(), rawFrame({ doff: 255, body: Buffer.alloc(4) })]), FRAMING);
  });

  it('a data offset past 2 skips the extended header', () => {
    const begin = amqpFrame(0, make(Begin, { nextOutgoingId: 0, incomingWindow: 10, outgoingWindow: 10 }));
    const ext = rawFrame({ doff: 4, body: Buffer.concat([Buffer.alloc(8, 0xee), begin.subarray(8)]) });
    const r = serve([...start(), ext]);
    assert.equal(r.condition, undefined);
    assert.equal(r.peer.connection.sessions.length, 1);
  });

  it('a frame before the open: framing-error', () => {
    assertFailed(serve([header('AMQP'), BEGIN()]), FRAMING);
  });

  it('a SASL frame after the AMQP header: framing-error', () => {
    assertFailed(serve([...start(), saslFrame(make(SaslInit, { mechanism: 'ANONYMOUS' }))]), FRAMING);
  });

  it('a performative that does not decode: amqp:decode-error', () => {
    // A list8 that says it holds 32 bytes, in a frame of 6.
    const r = serve([...start(), rawFrame({ body: Buffer.from([0x00, 0x53, 0x11, 0xc0, 0x20, 0x05]) })]);
    assertFailed(r, 'amqp:decode-error');
  });

  it('a performative with an unknown format code: amqp:decode-error', () => {
    assertFailed(
      serve([...start(), rawFrame({ body: Buffer.from([0x00, 0x53, 0x11, 0xff]) })]),
      'amqp:decode-error',
    );
  });

  it('an open without its container-id: amqp:decode-error', () => {
    assertFailed(
      serve([header('AMQP'), rawFrame({ body: Buffer.from([0x00, 0x53, 0x10, 0x45]) })]),
      'amqp:decode-error',
    );
  });

  it('a body that is no performative: framing-error', () => {
    assertFailed(serve([...start(), rawFrame({ body: Buffer.from([0xa1, 3, 0x61, 0x62, 0x63]) })]), FRAMING);
  });

  it('a second open: amqp:illegal-state', () => {
    assertFailed(serve([...start(), OPEN()]), 'amqp:illegal-state');
  });

  for (const [name, perf] of [
    ['an attach', make(Attach, { name: 'l', handle: 0, role: false })],
    ['a flow', make(Flow, { incomingWindow: 1, nextOutgoingId: 0, outgoingWindow: 1 })],
    ['an end', make(End, {})],
    ['a transfer', make(Transfer, { handle: 0, deliveryId: 0, deliveryTag: Buffer.from('1') })],
  ] as const) {
    it(`${name} on a channel with no session: the connection closes`, () => {
      const r = serve([...start(), BEGIN(0), amqpFrame(3, perf)]);
      assertFailed(r, FRAMING);
      assert.equal(r.peer.connection.sessions.length, 1);
    });
  }

  it('a frame on the channel of a session the peer ended: the connection closes', () => {
    const r = serve([...start(), BEGIN(0), amqpFrame(0, make(End, {})), amqpFrame(0, make(End, {}))]);
    assertFailed(r, FRAMING);
  });

  it('the error frame of a failure carries a description', () => {
    const r = serve([...start(), rawFrame({ doff: 1 })]);
    const [close] = performatives(r.items, Close);
    assert.ok(close?.error instanceof AmqpError);
    assert.equal(typeof close.error.description, 'string');
    assert.ok((close.error.description ?? '').length > 0);
  });

  it('a server that fails before its open is sent sends an open and then the close', () => {
    const r = serve([...start(), rawFrame({ doff: 1 })]);
    assert.deepEqual(describeOutput(r.items), ['header:0', 'Open', 'Close']);
  });

  it('the peer sees the failure as a remote close with the condition', () => {
    const { client, server } = pair();
    client.connection.open();
    server.connection.open();
    pump(client, server);
    client.transport.push(rawFrame({ doff: 1 }));
    pump(client, server);
    assert.equal(server.connection.remoteState, State.REMOTE_CLOSED);
    assert.equal(server.connection.remoteCondition?.name, FRAMING);
    assert.equal(client.transport.condition?.name, FRAMING);
  });
});

describe('transport: empty frames and the open', () => {
  it('empty frames (heartbeats) are taken before and after the open, on any channel', () => {
    const r = serve([header('AMQP'), emptyFrame(), emptyFrame(), OPEN(), emptyFrame(), emptyFrame(7)]);
    assert.equal(r.condition, undefined);
    assert.equal(r.peer.transport.framesInput, 5);
    assert.equal(r.peer.connection.remoteState, State.REMOTE_ACTIVE);
    assert.deepEqual(r.events, ['connection_init', 'connection_bound', 'connection_remote_open']);
  });

  it("the peer's max-frame-size below 512 is refused", () => {
    const r = serve([header('AMQP'), amqpFrame(0, make(Open, { containerId: 'x', maxFrameSize: 511 }))]);
    assert.ok(r.condition !== undefined, 'refused');
    assert.equal(r.condition, 'amqp:invalid-field');
    assert.equal(r.closeSent, r.condition);
  });

  it("the peer's max-frame-size of 512 is taken", () => {
    const r = serve([header('AMQP'), amqpFrame(0, make(Open, { containerId: 'x', maxFrameSize: 512 }))]);
    assert.equal(r.condition, undefined);
    assert.equal(r.peer.transport.remoteMaxFrameSize, 512);
  });

  it('an open without max-frame-size leaves the peer unlimited (4294967295)', () => {
    const r = serve([header('AMQP'), OPEN()]);
    assert.equal(r.peer.transport.remoteMaxFrameSize, 0xffffffff);
    assert.equal(r.peer.transport.remoteChannelMax, 0xffff);
  });

  it('our max-frame-size below 512 is raised to 512', () => {
    const { client } = pair({ client: { maxFrameSize: 100 } });
    assert.equal(client.transport.maxFrameSize, 512);
  });
});

describe('transport: max-frame-size negotiation', () => {
  function transfer(clientMax: number, serverMax: number, size: number, chunk = 0) {
    const { client, server } = pair({
      client: { maxFrameSize: clientMax },
      server: { maxFrameSize: serverMax },
    });
    client.connection.open();
    const s = client.connection.session();
    s.open();
    const snd = s.sender('l');
    snd.target.address = 'q';
    snd.open();
    pump(client, server, chunk);
    server.connection.open();
    const ss = server.connection.sessions[0]!;
    ss.open();
    const rl = ss.links[0] as Receiver;
    rl.open();
    rl.flow(1);
    pump(client, server, chunk);
    const body = new Message({ body: Buffer.alloc(size, 7) }).encode();
    snd.delivery();
    snd.send(body);
    snd.advance();
    const out = client.transport.takeOutput()!;
    const sizes = framesOf(parseOutput(out)).map((f) => f.size);
    if (chunk > 0)
      for (let i = 0; i < out.length; i += chunk) server.transport.push(out.subarray(i, i + chunk));
    else server.transport.push(out);
    pump(client, server, chunk);
    const d = rl.current!;
    const got = Buffer.from(rl.recv(d.pending)!);
    return { client, server, sizes, got, body: Buffer.from(body), d };
  }

  it('each side learns the other max-frame-size from the open', () => {
    const { client, server } = pair({ client: { maxFrameSize: 1024 }, server: { maxFrameSize: 2048 } });
    client.connection.open();
    server.connection.open();
    pump(client, server);
    assert.equal(server.transport.remoteMaxFrameSize, 1024);
    assert.equal(client.transport.remoteMaxFrameSize, 2048);
  });

  it("a message larger than the peer's max-frame-size goes in frames no larger than it", () => {
    const { sizes, got, body, d } = transfer(4096, 1024, 5000);
    assert.ok(sizes.length >= 5, `${sizes}`);
    for (const s of sizes) assert.ok(s <= 1024, `frame of ${s}`);
    assert.equal(sizes.filter((s) => s === 1024).length, sizes.length - 1, 'all but the last are full');
    assert.equal(d.partial, false);
    assert.deepEqual(got, body);
  });

  it("a peer's limit of 512 still carries a message", () => {
    const { sizes, got, body } = transfer(512, 512, 3000);
    for (const s of sizes) assert.ok(s <= 512);
    assert.deepEqual(got, body);
  });

  for (const chunk of CHUNKS) {
    it(`the same multi-frame message fed in chunks of ${chunk}`, () => {
      const { got, body, client, server } = transfer(4096, 1024, 5000, chunk);
      assert.deepEqual(got, body);
      assert.equal(client.transport.condition, undefined);
      assert.equal(server.transport.condition, undefined);
    });
  }
});

describe('transport: input in pieces', () => {
  const scenarios: [string, () => Buffer[], ConstructorParameters<typeof RawPeer>[0]?][] = [
    [
      'a whole exchange',
      () => [
        header('AMQP'),
        emptyFrame(),
        OPEN(),
        BEGIN(0),
        amqpFrame(
          0,
          make(Attach, {
            name: 'l',
            handle: 0,
            role: false,
            initialDeliveryCount: 0,
            target: make(Target, { address: 'q' }),
          }),
        ),
        emptyFrame(),
        amqpFrame(0, make(End, {})),
        amqpFrame(0, make(Close, {})),
      ],
    ],
    ['a TLS header', () => [header('TLS'), OPEN()]],
    ['garbage', () => [Buffer.from('GET / HTTP/1.1\r\n\r\n')]],
    ['a frame of size 4', () => [header('AMQP'), OPEN(), Buffer.from([0, 0, 0, 4, 2, 0, 0, 0])]],
    [
      'a frame beyond max-frame-size',
      () => [header('AMQP'), OPEN(), rawFrame({ body: Buffer.alloc(1000) })],
      { maxFrameSize: 512 },
    ],
    ['a data offset of 1', () => [header('AMQP'), OPEN(), rawFrame({ doff: 1, body: Buffer.alloc(4) })]],
    [
      'a data offset past the frame',
      () => [header('AMQP'), OPEN(), rawFrame({ doff: 5, body: Buffer.alloc(4) })],
    ],
    ['a frame before the open', () => [header('AMQP'), BEGIN()]],
    [
      'an undecodable performative',
      () => [header('AMQP'), OPEN(), rawFrame({ body: Buffer.from([0, 0x53, 0x11, 0xc0, 0x20, 5]) })],
    ],
    ['a frame on a channel with no session', () => [header('AMQP'), OPEN(), amqpFrame(4, make(End, {}))]],
    ['a begin beyond channel-max', () => [header('AMQP'), OPEN(), BEGIN(3)], { channelMax: 2 }],
  ];

  for (const [name, bytes, options] of scenarios) {
    it(`${name}: the same output, condition and events whatever the chunk size`, () => {
      const whole = serve(bytes(), 0, options);
      for (const chunk of CHUNKS) {
        const cut = serve(bytes(), chunk, options);
        assert.equal(cut.condition, whole.condition, `chunk ${chunk}`);
        assert.deepEqual(cut.events, whole.events, `chunk ${chunk}`);
        assert.deepEqual(cut.output, whole.output, `chunk ${chunk}`);
      }
    });
  }

  function life(chunk: number) {
    const { client, server } = pair();
    const log: string[] = [];
    client.connection.open();
    const s = client.connection.session();
    s.open();
    const snd = s.sender('l');
    snd.target.address = 'q';
    snd.open();
    pump(client, server, chunk);
    server.connection.open();
    const ss = server.connection.sessions[0]!;
    ss.open();
    const rl = ss.links[0] as Receiver;
    rl.open();
    rl.flow(5);
    pump(client, server, chunk);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      snd.delivery();
      snd.send(new Message({ body: 'm'.repeat(i * 300) }).encode());
      snd.advance();
    }
    pump(client, server, chunk);
    while (rl.current !== undefined) {
      const d = rl.current;
      got.push(Message.decode(rl.recv(d.pending)!).body as string);
      d.settle();
      rl.advance();
    }
    pump(client, server, chunk);
    client.connection.close(new Condition('amqp:connection:forced', 'bye'));
    pump(client, server, chunk);
    server.connection.close();
    pump(client, server, chunk);
    log.push(...events(client), '|', ...events(server));
    return { log, got, client, server };
  }

  it('a whole connection life pumped byte by byte and at odd chunk sizes: the same events', () => {
    const whole = life(0);
    assert.equal(whole.got.length, 5);
    assert.deepEqual(
      whole.got.map((b) => b.length),
      [0, 300, 600, 900, 1200],
    );
    assert.ok(whole.client.transport.closed && whole.server.transport.closed);
    for (const chunk of CHUNKS) {
      const cut = life(chunk);
      assert.deepEqual(cut.got, whole.got, `chunk ${chunk}`);
      assert.deepEqual(cut.log, whole.log, `chunk ${chunk}`);
      assert.equal(cut.server.connection.remoteCondition?.description, 'bye');
      assert.ok(cut.client.transport.closed && cut.server.transport.closed, `chunk ${chunk}`);
    }
  });
});

describe('transport: idle timeout', () => {
  function openedWith(clientIdle: number, serverIdle: number) {
    const p = pair({ client: { idleTimeout: clientIdle }, server: { idleTimeout: serverIdle } });
    p.client.connection.open();
    p.server.connection.open();
    pump(p.client, p.server);
    events(p.client);
    events(p.server);
    return p;
  }

  it('the open advertises half the idle timeout (10000 -> 5000)', () => {
    const { client } = pair({ client: { idleTimeout: 10000 } });
    client.connection.open();
    const [open] = performatives(parseOutput(client.transport.takeOutput()!), Open);
    assert.equal(open?.idleTimeOut, 5000);
  });

  it('the peer learns the advertised value', () => {
    const { server } = openedWith(10000, 0);
    assert.equal(server.transport.remoteIdleTimeout, 5000);
  });

  it('tick() with no idle timeout on either side returns 0 and sends nothing', () => {
    const { client } = openedWith(0, 0);
    assert.equal(client.transport.tick(0), 0);
    assert.equal(client.transport.tick(1_000_000), 0);
    assert.equal(client.transport.takeOutput(), undefined);
  });

  it('tick() returns the local deadline: the last input plus our timeout', () => {
    const { client } = openedWith(10000, 0);
    assert.equal(client.transport.tick(1000), 11000);
    assert.equal(client.transport.tick(5000), 11000);
  });

  it('tick() returns the keepalive deadline: half the peer advertised timeout after our last output', () => {
    const { server } = openedWith(10000, 0);
    // The peer advertised 5000: we must say something every 2500.
    assert.equal(server.transport.tick(0), 2500);
    assert.equal(server.transport.tick(1000), 2500);
  });

  it('tick() returns the earlier of the two deadlines', () => {
    const { client } = openedWith(10000, 4000);
    // Ours: 10000 after the last input; the peer's 2000 advertised: keepalive every 1000.
    assert.equal(client.transport.tick(0), 1000);
  });

  it('an empty frame goes out when we have been silent for half the peer timeout, not before', () => {
    const { client, server } = openedWith(10000, 0);
    server.transport.tick(0);
    server.transport.tick(2499);
    assert.equal(server.transport.takeOutput(), undefined);
    const next = server.transport.tick(2500);
    const out = server.transport.takeOutput();
    assert.ok(out, 'a heartbeat is written');
    assert.deepEqual([...out], [0, 0, 0, 8, 2, 0, 0, 0]);
    assert.equal(next, 5000);
    const before = client.transport.framesInput;
    client.transport.push(out);
    assert.equal(client.transport.framesInput, before + 1);
    assert.equal(client.transport.condition, undefined);
  });

  it('other output puts the keepalive off', () => {
    const { client, server } = openedWith(10000, 0);
    server.transport.tick(0);
    server.connection.session().open();
    pump(client, server);
    assert.equal(server.transport.tick(2000), 4500);
    assert.equal(server.transport.tick(2500), 4500);
    assert.equal(server.transport.takeOutput(), undefined, 'no heartbeat: a begin went out at 2000');
  });

  it("the peer's silence beyond our timeout closes with resource-limit-exceeded 'local-idle-timeout expired'", () => {
    const { client, server } = openedWith(10000, 0);
    assert.equal(client.transport.tick(0), 10000);
    assert.equal(client.transport.tick(9999), 10000);
    assert.equal(client.transport.condition, undefined);
    assert.equal(client.transport.tick(10000), 0);
    const c = conditionOf(client);
    assert.equal(c?.name, 'amqp:resource-limit-exceeded');
    assert.equal(c?.description, 'local-idle-timeout expired');
    assert.ok(events(client).includes('transport_error'));
    // The close goes to the peer with the condition.
    const out = client.transport.takeOutput()!;
    const [close] = performatives(parseOutput(out), Close);
    assert.equal(close?.error?.condition, 'amqp:resource-limit-exceeded');
    assert.equal(close?.error?.description, 'local-idle-timeout expired');
    server.transport.push(out);
    assert.equal(server.connection.remoteCondition?.name, 'amqp:resource-limit-exceeded');
    assert.equal(client.transport.tick(20000), 0);
  });

  it('input resets the local deadline', () => {
    const { client, server } = openedWith(10000, 0);
    client.transport.tick(0);
    server.connection.session().open();
    pump(client, server);
    assert.equal(client.transport.tick(6000), 16000);
    assert.equal(client.transport.tick(12000), 16000);
    assert.equal(client.transport.condition, undefined);
  });

  /** Ticks both sides every `step` ms from `from` to `to`; the client's input is seen at once. */
  function run(p: ReturnType<typeof openedWith>, from: number, to: number, step: number, serverTicks = true) {
    const inputs: number[] = [];
    let now = from;
    for (; now <= to && p.client.transport.condition === undefined; now += step) {
      if (serverTicks) p.server.transport.tick(now);
      const before = p.client.transport.framesInput;
      pump(p.client, p.server);
      if (p.client.transport.framesInput !== before) inputs.push(now);
      p.client.transport.tick(now);
    }
    return { inputs, now: now - step };
  }

  it('a peer that keeps sending heartbeats keeps the connection alive for 3 timeouts', () => {
    const p = openedWith(10000, 0);
    const { inputs } = run(p, 0, 30000, 250);
    assert.equal(p.client.transport.condition, undefined);
    assert.equal(p.server.transport.condition, undefined);
    assert.equal(p.client.connection.state, State.LOCAL_ACTIVE | State.REMOTE_ACTIVE);
    // At least one heartbeat per advertised 5000 ms, and about one per 2500.
    assert.ok(inputs.length >= 10 && inputs.length <= 13, `${inputs.length} heartbeats in 30 s: ${inputs}`);
    for (let i = 1; i < inputs.length; i++) assert.ok(inputs[i]! - inputs[i - 1]! < 5000, `${inputs}`);
    // The server advertised no timeout: the client has no reason to speak.
    assert.equal(p.server.transport.framesInput, 1);
  });

  it("driven by its own deadlines, the keepalive goes out every half of the peer's timeout", () => {
    const { client, server } = openedWith(10000, 0);
    const sent: number[] = [];
    let now = 0;
    for (let i = 0; i < 40 && now <= 30000; i++) {
      const next = server.transport.tick(now);
      const out = server.transport.takeOutput();
      if (out !== undefined) {
        sent.push(now);
        client.transport.push(out);
      }
      assert.ok(next > now, `the deadline ${next} is after now (${now})`);
      now = next;
    }
    assert.deepEqual(sent.slice(0, 4), [2500, 5000, 7500, 10000]);
  });

  it("the heartbeat's own output does not put the next heartbeat off", () => {
    const { server } = openedWith(10000, 0);
    server.transport.tick(0);
    server.transport.tick(2500);
    assert.ok(server.transport.takeOutput(), 'the first heartbeat');
    assert.equal(server.transport.tick(2600), 5000);
    server.transport.tick(5000);
    assert.ok(server.transport.takeOutput(), 'the second heartbeat, 2500 after the first');
  });

  it('both sides with timeouts keep each other alive', () => {
    const p = openedWith(3000, 5000);
    for (let now = 0; now <= 30000; now += 100) {
      p.server.transport.tick(now);
      p.client.transport.tick(now);
      pump(p.client, p.server);
    }
    assert.equal(p.client.transport.condition, undefined);
    assert.equal(p.server.transport.condition, undefined);
  });

  it('a peer that stops sending heartbeats is timed out our timeout after its last frame', () => {
    const p = openedWith(10000, 0);
    const { inputs } = run(p, 0, 12000, 250);
    assert.equal(p.client.transport.condition, undefined);
    const last = inputs.at(-1)!;
    const { now } = run(p, 12250, 40000, 250, false);
    assert.equal(conditionOf(p.client)?.name, 'amqp:resource-limit-exceeded');
    assert.equal(now, last + 10000, `last input at ${last}, timed out at ${now}`);
  });
});

describe('transport: end of stream and failures', () => {
  it('closeTail() without a close: transport_error with framing-error "connection aborted", as Proton', () => {
    const { client, server } = pair();
    client.connection.open();
    server.connection.open();
    pump(client, server);
    events(client);
    client.transport.closeTail();
    assert.equal(client.transport.condition?.name, 'amqp:connection:framing-error');
    const ev = events(client);
    assert.ok(ev.includes('transport_error'), `${ev}`);
    assert.ok(ev.includes('transport_tail_closed'), `${ev}`);
    assert.equal(client.transport.tailClosed, true);
  });

  it('closeTail() without a close: the transport then closes, as Proton does', () => {
    const { client, server } = pair();
    client.connection.open();
    server.connection.open();
    pump(client, server);
    events(client);
    client.transport.closeTail();
    client.transport.takeOutput();
    assert.equal(client.transport.closed, true);
    assert.ok(events(client).includes('transport_closed'));
  });

  it('closeTail() before the header arrived is an error too', () => {
    const { client } = pair();
    client.connection.open();
    client.transport.takeOutput();
    client.transport.closeTail();
    assert.ok(client.transport.condition !== undefined);
  });

  it('closeTail() after the peer close is no error', () => {
    const { client, server } = pair();
    client.connection.open();
    server.connection.open();
    pump(client, server);
    server.connection.close();
    pump(client, server);
    events(client);
    client.transport.closeTail();
    assert.equal(client.transport.condition, undefined);
    assert.ok(!events(client).includes('transport_error'));
  });

  it('after a failure, push() ignores input and never throws', () => {
    const r = serve([header('AMQP'), OPEN(), rawFrame({ doff: 0 })]);
    assert.equal(r.condition, FRAMING);
    const out = Buffer.from(r.output);
    const t = r.peer.transport;
    for (const junk of [
      OPEN(),
      BEGIN(),
      header('AMQP'),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
      Buffer.alloc(10000, 0x41),
      emptyFrame(),
    ]) {
      assert.doesNotThrow(() => t.push(junk));
    }
    assert.deepEqual(r.peer.events(), []);
    assert.equal(t.takeOutput(), undefined);
    assert.deepEqual(r.peer.output, out);
    assert.equal(t.condition?.name, FRAMING, 'the first condition stays');
    assert.equal(t.closed, true);
    assert.equal(t.tick(1e9), 0);
  });

  it('random bytes never make push() throw, whole or in pieces', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const n = rand() % 64;
      const junk = Buffer.alloc(n);
      for (let i = 0; i < n; i++) junk[i] = rand() & 0xff;
      // Half the rounds start with a good header and open, so the junk reaches the frame layer.
      const prefix = round % 2 === 0 ? [header('AMQP'), OPEN()] : [];
      const chunk = [0, 1, 3, 7][round % 4]!;
      assert.doesNotThrow(() => serve([...prefix, junk], chunk));
    }
  });

  it('a failure reported once: one transport_error, then tail, head and closed', () => {
    const r = serve([header('AMQP'), OPEN(), rawFrame({ doff: 1 })]);
    const ev = r.events.filter((e) => e.startsWith('transport'));
    assert.equal(ev.filter((e) => e === 'transport_error').length, 1);
    assert.equal(ev.at(-1), 'transport_closed');
    assert.ok(ev.includes('transport_head_closed') && ev.includes('transport_tail_closed'));
  });
});
