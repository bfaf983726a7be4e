/**
 * Sessions: begin and end in every order, sessions started by either side, channel allocation and
 * channel-max, handle-max, and the session incoming window (from `incomingCapacity`), with the peer's
 * violations of each closing the connection with the spec's condition.
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
  Target,
  Transfer,
} from '../../src/codec/composite-types.js';
import { symbol } from '../../src/codec/types.js';
import { Condition, type Receiver, State } from '../../src/engine/index.js';
import { Message } from '../../src/message/index.js';
import { amqpFrame, failure, header, make, parseOutput, performatives, RawPeer } from '../support/frames.js';
import { drain, pair, pump, type Side } from '../support/pair.js';

function events(s: Side): string[] {
  return drain(s).filter((n) => n !== 'transport');
}

function opened(options: Parameters<typeof pair>[0] = {}) {
  const p = pair(options);
  p.client.connection.open();
  p.server.connection.open();
  pump(p.client, p.server);
  events(p.client);
  events(p.server);
  return p;
}

const ACTIVE = State.LOCAL_ACTIVE | State.REMOTE_ACTIVE;
const CLOSED = State.LOCAL_CLOSED | State.REMOTE_CLOSED;

/** A raw server that took the header and an open, and answered with its own; its output is taken. */
function rawOpened(options: ConstructorParameters<typeof RawPeer>[0] = {}): RawPeer {
  const peer = new RawPeer(options);
  peer.push([header('AMQP'), amqpFrame(0, make(Open, { containerId: 'raw' }))]);
  peer.connection.open();
  peer.take();
  peer.events();
  return peer;
}

const begin = (fields: Partial<Begin> = {}) =>
  make(Begin, { nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100, ...fields });

describe('session: begin and end', () => {
  it('client begins first, the server sees session_init + session_remote_open, answers', () => {
    const { client, server } = opened();
    const s = client.connection.session();
    assert.equal(s.state, State.LOCAL_UNINIT | State.REMOTE_UNINIT);
    s.open();
    assert.equal(s.state, State.LOCAL_ACTIVE | State.REMOTE_UNINIT);
    pump(client, server);
    assert.deepEqual(events(client), ['session_init', 'session_local_open']);
    assert.deepEqual(events(server), ['session_init', 'session_remote_open']);
    assert.equal(server.connection.sessions.length, 1);
    const ss = server.connection.sessions[0]!;
    assert.equal(ss.state, State.LOCAL_UNINIT | State.REMOTE_ACTIVE);
    ss.open();
    pump(client, server);
    assert.deepEqual(events(server), ['session_local_open']);
    assert.deepEqual(events(client), ['session_remote_open']);
    assert.equal(s.state, ACTIVE);
    assert.equal(ss.state, ACTIVE);
    assert.equal(s.channel, 0);
    assert.equal(ss.remoteChannel, 0);
    assert.equal(s.remoteChannel, ss.channel);
    // The client's session was matched to the answer, not doubled.
    assert.equal(client.connection.sessions.length, 1);
  });

  it("the server's answer names the client's channel in remote-channel", () => {
    const { client, server } = opened();
    client.connection.session().open();
    const out = client.transport.takeOutput()!;
    const [b] = performatives(parseOutput(out), Begin);
    assert.ok(b);
    assert.equal(b.remoteChannel, undefined);
    assert.equal(b.nextOutgoingId, 0);
    assert.equal(b.incomingWindow, 0x7fffffff);
    assert.equal(b.outgoingWindow, 0x7fffffff);
    server.transport.push(out);
    server.connection.sessions[0]!.open();
    const [answer] = performatives(parseOutput(server.transport.takeOutput()!), Begin);
    assert.equal(answer?.remoteChannel, 0);
  });

  it('server begins first, the client sees it and answers', () => {
    const { client, server } = opened();
    const ss = server.connection.session();
    ss.open();
    pump(client, server);
    assert.deepEqual(events(client), ['session_init', 'session_remote_open']);
    const cs = client.connection.sessions[0]!;
    cs.open();
    pump(client, server);
    assert.deepEqual(events(server), ['session_init', 'session_local_open', 'session_remote_open']);
    assert.equal(cs.state, ACTIVE);
    assert.equal(ss.state, ACTIVE);
    assert.equal(server.connection.sessions.length, 1);
  });

  it('both begin before pumping: two independent sessions, each seen by the other side', () => {
    const { client, server } = opened();
    const cs = client.connection.session();
    const ss = server.connection.session();
    cs.open();
    ss.open();
    pump(client, server);
    assert.equal(client.connection.sessions.length, 2);
    assert.equal(server.connection.sessions.length, 2);
    assert.equal(cs.state, State.LOCAL_ACTIVE | State.REMOTE_UNINIT);
    const peerOfCs = server.connection.sessions[1]!;
    assert.equal(peerOfCs.state, State.LOCAL_UNINIT | State.REMOTE_ACTIVE);
    peerOfCs.open();
    client.connection.sessions[1]!.open();
    pump(client, server);
    for (const s of [...client.connection.sessions, ...server.connection.sessions])
      assert.equal(s.state, ACTIVE);
  });

  it('several sessions both ways, each matched to its own peer', () => {
    const { client, server } = opened();
    const mine = [0, 1, 2].map(() => client.connection.session());
    for (const s of mine) s.open();
    pump(client, server);
    assert.deepEqual(events(server), [
      'session_init',
      'session_remote_open',
      'session_init',
      'session_remote_open',
      'session_init',
      'session_remote_open',
    ]);
    for (const s of server.connection.sessions) s.open();
    const theirs = [0, 1].map(() => server.connection.session());
    for (const s of theirs) s.open();
    pump(client, server);
    assert.equal(server.connection.sessions.length, 5);
    assert.equal(client.connection.sessions.length, 5);
    for (const s of client.connection.sessions.slice(3)) s.open();
    pump(client, server);
    assert.deepEqual(
      mine.map((s) => s.channel),
      [0, 1, 2],
    );
    assert.deepEqual(
      theirs.map((s) => s.channel),
      [3, 4],
    );
    for (const s of [...client.connection.sessions, ...server.connection.sessions]) {
      assert.equal(s.state, ACTIVE);
    }
    // Every session's remote channel is its peer's local channel.
    for (const s of client.connection.sessions) {
      const peer = server.connection.sessions.find((x) => x.remoteChannel === s.channel);
      assert.ok(peer, `no peer for channel ${s.channel}`);
      assert.equal(s.remoteChannel, peer.channel);
    }
  });

  function ended(order: 'client' | 'server' | 'both') {
    const { client, server } = opened();
    const cs = client.connection.session();
    cs.open();
    pump(client, server);
    const ss = server.connection.sessions[0]!;
    ss.open();
    pump(client, server);
    events(client);
    events(server);
    if (order !== 'server') cs.close();
    if (order !== 'client') ss.close();
    pump(client, server);
    return { client, server, cs, ss };
  }

  it('end, client first: local_close, the server sees remote_close, answers', () => {
    const { client, server, cs, ss } = ended('client');
    assert.deepEqual(events(client), ['session_local_close']);
    assert.deepEqual(events(server), ['session_remote_close']);
    assert.equal(cs.state, State.LOCAL_CLOSED | State.REMOTE_ACTIVE);
    assert.equal(ss.state, State.LOCAL_ACTIVE | State.REMOTE_CLOSED);
    ss.close();
    pump(client, server);
    assert.deepEqual(events(server), ['session_local_close']);
    assert.deepEqual(events(client), ['session_remote_close']);
    assert.equal(cs.state, CLOSED);
    assert.equal(ss.state, CLOSED);
  });

  it('end, server first', () => {
    const { client, server, cs, ss } = ended('server');
    assert.deepEqual(events(server), ['session_local_close']);
    assert.deepEqual(events(client), ['session_remote_close']);
    cs.close();
    pump(client, server);
    assert.equal(cs.state, CLOSED);
    assert.equal(ss.state, CLOSED);
    assert.deepEqual(events(server), ['session_remote_close']);
  });

  it('end on both sides before pumping', () => {
    const { client, server, cs, ss } = ended('both');
    assert.deepEqual(events(client), ['session_local_close', 'session_remote_close']);
    assert.deepEqual(events(server), ['session_local_close', 'session_remote_close']);
    assert.equal(cs.state, CLOSED);
    assert.equal(ss.state, CLOSED);
    // The connection goes on.
    assert.equal(client.connection.state, ACTIVE);
    assert.equal(client.transport.condition, undefined);
  });

  it('open and close before pumping: a begin then an end go out', () => {
    const { client } = opened();
    const s = client.connection.session();
    s.open();
    s.close();
    const items = parseOutput(client.transport.takeOutput()!);
    assert.deepEqual(
      items.map((i) => (i.kind === 'frame' ? (i.body as object).constructor.name : 'header')),
      ['Begin', 'End'],
    );
  });

  it('close() without open() begins first', () => {
    const { client, server } = opened();
    const s = client.connection.session();
    s.close();
    pump(client, server);
    assert.deepEqual(events(client), ['session_init', 'session_local_open', 'session_local_close']);
    assert.deepEqual(events(server), ['session_init', 'session_remote_open', 'session_remote_close']);
  });

  it('an end with a condition is the remoteCondition on the other side', () => {
    const { client, server } = opened();
    const s = client.connection.session();
    s.open();
    pump(client, server);
    const ss = server.connection.sessions[0]!;
    ss.open();
    pump(client, server);
    ss.close(new Condition('amqp:resource-limit-exceeded', 'too many links'));
    const out = server.transport.takeOutput()!;
    const [end] = performatives(parseOutput(out), End);
    assert.ok(end?.error instanceof AmqpError);
    assert.equal(end.error.condition, 'amqp:resource-limit-exceeded');
    client.transport.push(out);
    assert.equal(s.remoteCondition?.name, 'amqp:resource-limit-exceeded');
    assert.equal(s.remoteCondition?.description, 'too many links');
    assert.equal(ss.remoteCondition, undefined);
    // A session's end does not end the connection.
    assert.equal(client.transport.condition, undefined);
    assert.equal(client.connection.remoteState, State.REMOTE_ACTIVE);
  });

  it('session capabilities and properties round trip', () => {
    const { client, server } = opened();
    const s = client.connection.session();
    s.offeredCapabilities = ['cap-a'];
    s.desiredCapabilities = ['cap-b', 'cap-c'];
    s.properties = new Map([[symbol('k'), 'v']]);
    s.open();
    pump(client, server);
    const ss = server.connection.sessions[0]!;
    assert.deepEqual(ss.remoteOfferedCapabilities, ['cap-a']);
    assert.deepEqual(ss.remoteDesiredCapabilities, ['cap-b', 'cap-c']);
    assert.equal(ss.remoteProperties?.get('k'), 'v');
  });

  it('closing the connection with sessions still open ends cleanly on both sides', () => {
    const { client, server } = opened();
    client.connection.session().open();
    pump(client, server);
    server.connection.sessions[0]!.open();
    pump(client, server);
    client.connection.close();
    server.connection.close();
    pump(client, server);
    assert.ok(client.transport.closed && server.transport.closed);
    assert.equal(client.transport.condition, undefined);
    assert.equal(server.transport.condition, undefined);
  });
});

describe('session: channels', () => {
  it('channels are given from 0 up, and a channel freed by an end is reused', () => {
    const { client, server } = opened();
    const s = [0, 1, 2].map(() => client.connection.session());
    for (const x of s) x.open();
    pump(client, server);
    for (const x of server.connection.sessions) x.open();
    pump(client, server);
    assert.deepEqual(
      s.map((x) => x.channel),
      [0, 1, 2],
    );
    s[1]!.close();
    pump(client, server);
    server.connection.sessions[1]!.close();
    pump(client, server);
    assert.equal(s[1]!.state, CLOSED);
    const again = client.connection.session();
    again.open();
    pump(client, server);
    assert.equal(again.channel, 1);
    const peer = server.connection.sessions.at(-1)!;
    assert.equal(peer.remoteChannel, 1);
    assert.equal(peer.state, State.LOCAL_UNINIT | State.REMOTE_ACTIVE);
    peer.open();
    pump(client, server);
    assert.equal(again.state, ACTIVE);
    const next = client.connection.session();
    next.open();
    pump(client, server);
    assert.equal(next.channel, 3);
    assert.equal(client.transport.condition, undefined);
    assert.equal(server.transport.condition, undefined);
  });

  it('a client whose channel-max is 1 advertises it and has two sessions (channels 0 and 1) open', () => {
    const { client, server } = opened({ client: { channelMax: 1 } });
    assert.equal(server.transport.remoteChannelMax, 1);
    const a = client.connection.session();
    const b = client.connection.session();
    a.open();
    b.open();
    pump(client, server);
    for (const x of server.connection.sessions) x.open();
    pump(client, server);
    assert.deepEqual([a.channel, b.channel], [0, 1]);
    assert.equal(a.state, ACTIVE);
    assert.equal(b.state, ACTIVE);
  });

  it('channel-max 1: a third session waits for a channel, the connection stays up (as Proton)', () => {
    const { client, server } = opened({ client: { channelMax: 1 } });
    const [a] = [client.connection.session(), client.connection.session()];
    for (const x of client.connection.sessions) x.open();
    pump(client, server);
    for (const x of server.connection.sessions) x.open();
    pump(client, server);
    events(client);
    events(server);
    const third = client.connection.session();
    third.open();
    assert.doesNotThrow(() => pump(client, server));
    // No channel was given, no begin went out, nothing failed.
    assert.equal(third.channel, -1);
    assert.equal(server.connection.sessions.length, 2);
    assert.equal(client.transport.condition, undefined);
    assert.equal(server.connection.remoteState, State.REMOTE_ACTIVE);
    // Once a session ends, the waiting one begins on the freed channel.
    a!.close();
    pump(client, server);
    assert.equal(third.channel, 0);
    assert.equal(server.connection.sessions.length, 3);
    assert.equal(client.transport.condition, undefined);
  });

  it('channel-max 1: after an end, a new session takes the freed channel', () => {
    const { client, server } = opened({ client: { channelMax: 1 } });
    const a = client.connection.session();
    const b = client.connection.session();
    a.open();
    b.open();
    pump(client, server);
    for (const x of server.connection.sessions) x.open();
    pump(client, server);
    a.close();
    server.connection.sessions[0]!.close();
    pump(client, server);
    const c = client.connection.session();
    c.open();
    pump(client, server);
    assert.equal(c.channel, 0);
    assert.equal(client.transport.condition, undefined);
  });

  it("the server's channel-max limits the client too (the lower of the two)", () => {
    const { client, server } = opened({ server: { channelMax: 1 } });
    assert.equal(client.transport.remoteChannelMax, 1);
    for (let i = 0; i < 3; i++) client.connection.session().open();
    pump(client, server);
    // The server never saw a begin beyond its channel-max; the third waits, nothing fails.
    assert.equal(server.connection.sessions.length, 2);
    assert.equal(client.connection.sessions[2]!.channel, -1);
    assert.equal(client.transport.condition, undefined);
    assert.equal(server.transport.condition, undefined);
  });

  it('a peer beginning on a channel beyond our channel-max: amqp:connection:framing-error', () => {
    const peer = rawOpened({ channelMax: 1 });
    peer.push(amqpFrame(1, begin()));
    assert.equal(peer.transport.condition, undefined);
    peer.push(amqpFrame(2, begin()));
    assert.deepEqual(failure(peer), {
      condition: 'amqp:connection:framing-error',
      closeSent: 'amqp:connection:framing-error',
    });
    assert.ok(peer.events().includes('transport_error'));
    assert.equal(peer.connection.sessions.length, 1);
  });

  it('a peer beginning twice on one channel: amqp:connection:framing-error', () => {
    const peer = rawOpened();
    peer.push(amqpFrame(0, begin()));
    peer.push(amqpFrame(0, begin()));
    assert.equal(failure(peer).condition, 'amqp:connection:framing-error');
  });

  it('a begin answering a channel we never began on: amqp:connection:framing-error', () => {
    const peer = rawOpened();
    peer.push(amqpFrame(0, begin({ remoteChannel: 5 })));
    assert.equal(failure(peer).condition, 'amqp:connection:framing-error');
  });

  it('a peer may begin again on a channel it ended', () => {
    const peer = rawOpened();
    peer.push(amqpFrame(0, begin()));
    peer.push(amqpFrame(0, make(End, {})));
    peer.push(amqpFrame(0, begin()));
    assert.equal(peer.transport.condition, undefined);
    assert.equal(peer.connection.sessions.length, 2);
    assert.equal(peer.connection.sessions[0]!.remoteState, State.REMOTE_CLOSED);
    assert.equal(peer.connection.sessions[1]!.remoteState, State.REMOTE_ACTIVE);
  });

  // RabbitMQ 3.x refuses an attach by ending the session with an error, never answering the attach.
  it('an end with an error closes the links still waiting for their attach, with its condition', () => {
    const { client, server } = opened();
    const s = client.connection.session();
    s.open();
    const attached = s.receiver('attached');
    attached.open();
    pump(client, server);
    const ss = server.connection.sessions[0]!;
    ss.open();
    const answer = ss.links[0]!;
    answer.open();
    pump(client, server);
    const waiting = s.sender('waiting');
    waiting.open();
    pump(client, server);
    events(client);
    ss.close(new Condition('amqp:invalid-field', 'Attach rejected'));
    pump(client, server);
    assert.deepEqual(events(client), ['link_remote_close', 'session_remote_close']);
    assert.equal(waiting.remoteState, State.REMOTE_CLOSED);
    assert.equal(waiting.remoteCondition?.name, 'amqp:invalid-field');
    assert.equal(waiting.remoteCondition?.description, 'Attach rejected');
    // An attached link is left as it was: the session's condition tells of it.
    assert.equal(attached.remoteState, State.REMOTE_ACTIVE);
    assert.equal(attached.remoteCondition, undefined);
  });

  it('an end without an error leaves the links as they are', () => {
    const { client, server } = opened();
    const s = client.connection.session();
    s.open();
    pump(client, server);
    server.connection.sessions[0]!.open();
    pump(client, server);
    const waiting = s.sender('waiting');
    waiting.open();
    pump(client, server);
    events(client);
    server.connection.sessions[0]!.close();
    pump(client, server);
    assert.deepEqual(events(client), ['session_remote_close']);
    assert.equal(waiting.remoteState, State.REMOTE_UNINIT);
  });
});

describe('session: handle-max', () => {
  it('the begin advertises handle-max when set', () => {
    const { client } = opened();
    const s = client.connection.session();
    s.handleMax = 7;
    s.open();
    const [b] = performatives(parseOutput(client.transport.takeOutput()!), Begin);
    assert.equal(b?.handleMax, 7);
  });

  it("links beyond the peer's handle-max are refused: no attach goes out beyond it", () => {
    const { client, server } = opened();
    const s = client.connection.session();
    s.open();
    pump(client, server);
    const ss = server.connection.sessions[0]!;
    ss.handleMax = 0;
    ss.open();
    pump(client, server);
    assert.equal(s.remoteHandleMax, 0);
    const first = s.sender('first');
    first.open();
    pump(client, server);
    assert.equal(first.handle, 0);
    assert.equal(ss.links.length, 1);
    const second = s.sender('second');
    second.open();
    assert.doesNotThrow(() => pump(client, server));
    assert.equal(second.handle, -1);
    // The server never saw the attach it could not take.
    assert.equal(ss.links.length, 1);
    assert.equal(server.transport.condition, undefined);
    assert.equal(client.transport.condition?.name, 'amqp:resource-limit-exceeded');
  });

  it('a peer attaching beyond our handle-max: amqp:connection:framing-error', () => {
    const peer = rawOpened();
    peer.push(amqpFrame(0, begin()));
    const ss = peer.connection.sessions[0]!;
    ss.handleMax = 0;
    ss.open();
    const [b] = performatives(peer.take(), Begin);
    assert.equal(b?.handleMax, 0);
    const attach = (handle: number, name: string) =>
      amqpFrame(
        0,
        make(Attach, {
          name,
          handle,
          role: false,
          initialDeliveryCount: 0,
          target: make(Target, { address: 'q' }),
        }),
      );
    peer.push(attach(0, 'ok'));
    assert.equal(peer.transport.condition, undefined);
    assert.equal(ss.links.length, 1);
    peer.push(attach(1, 'too-far'));
    assert.deepEqual(failure(peer), {
      condition: 'amqp:connection:framing-error',
      closeSent: 'amqp:connection:framing-error',
    });
    assert.equal(ss.links.length, 1);
  });

  it('handles freed by a detach are reused within handle-max', () => {
    const { client, server } = opened();
    const s = client.connection.session();
    s.open();
    pump(client, server);
    const ss = server.connection.sessions[0]!;
    ss.handleMax = 0;
    ss.open();
    pump(client, server);
    const a = s.sender('a');
    a.open();
    pump(client, server);
    a.close();
    pump(client, server);
    ss.links[0]!.close();
    pump(client, server);
    const b = s.sender('b');
    b.open();
    pump(client, server);
    assert.equal(b.handle, 0);
    assert.equal(client.transport.condition, undefined);
    assert.equal(server.transport.condition, undefined);
  });
});

describe('session: incoming window', () => {
  /** A link from client to server, the server session with `capacity` bytes, frames of 512. */
  function windowed(capacity: number, messages: number, size: number) {
    const p = pair({ server: { maxFrameSize: 512 } });
    const { client, server } = p;
    client.connection.open();
    const s = client.connection.session();
    s.open();
    const snd = s.sender('l');
    snd.target.address = 'q';
    snd.open();
    pump(client, server);
    server.connection.open();
    const ss = server.connection.sessions[0]!;
    ss.incomingCapacity = capacity;
    ss.open();
    const rl = ss.links[0] as Receiver;
    rl.open();
    rl.flow(messages);
    const beginOut = server.transport.takeOutput()!;
    client.transport.push(beginOut);
    pump(client, server);
    const bodies: Buffer[] = [];
    for (let i = 0; i < messages; i++) {
      const body = new Message({ body: Buffer.alloc(size, 0x41 + (i % 26)) }).encode();
      bodies.push(Buffer.from(body));
      snd.delivery();
      snd.send(body);
      snd.advance();
    }
    return { client, server, snd, rl, ss, beginOut, bodies };
  }

  it('a session with incomingCapacity advertises a window of capacity / max-frame-size', () => {
    const { beginOut } = windowed(2048, 0, 0);
    const [b] = performatives(parseOutput(beginOut), Begin);
    assert.equal(b?.incomingWindow, 4);
  });

  it('without incomingCapacity the window is 2^31-1', () => {
    const { client, server } = opened();
    client.connection.session().open();
    pump(client, server);
    server.connection.sessions[0]!.open();
    const [b] = performatives(parseOutput(server.transport.takeOutput()!), Begin);
    assert.equal(b?.incomingWindow, 0x7fffffff);
  });

  it('the sender stops at the window, and the window re-opens as the application reads', () => {
    const { client, server, rl, bodies } = windowed(2048, 10, 100);
    pump(client, server);
    assert.equal(rl.queued, 4, 'only a window of transfers arrives');
    const got: Buffer[] = [];
    let rounds = 0;
    while (got.length < 10 && rounds++ < 20) {
      const d = rl.current;
      if (d === undefined) {
        pump(client, server);
        continue;
      }
      const bytes = rl.recv(d.pending);
      got.push(Buffer.from(bytes ?? []));
      rl.advance();
      pump(client, server);
    }
    assert.equal(got.length, 10);
    assert.deepEqual(got, bodies);
    assert.equal(client.transport.condition, undefined);
    assert.equal(server.transport.condition, undefined);
  });

  it('the flows sent as the application reads advertise the re-opened window', () => {
    const { client, server, rl } = windowed(2048, 10, 100);
    pump(client, server);
    events(server);
    const d = rl.current!;
    rl.recv(d.pending);
    const out = server.transport.takeOutput();
    assert.ok(out, 'reading frees capacity: a flow goes out');
    const flows = performatives(parseOutput(out), Flow);
    assert.equal(flows.length, 1);
    assert.ok(flows[0]!.incomingWindow >= 2, `window ${flows[0]!.incomingWindow}`);
    assert.ok(flows[0]!.incomingWindow <= 4, `window ${flows[0]!.incomingWindow}`);
    assert.equal(flows[0]!.nextIncomingId, 4);
  });

  it('a message larger than the window streams through as it is read', () => {
    const { client, server, rl, bodies } = windowed(1024, 1, 6000);
    pump(client, server);
    const parts: Buffer[] = [];
    for (let rounds = 0; rounds < 100; rounds++) {
      const d = rl.current;
      if (d !== undefined && d.pending > 0) parts.push(Buffer.from(rl.recv(d.pending)!));
      if (d !== undefined && !d.partial && d.pending === 0) break;
      pump(client, server);
    }
    assert.deepEqual(Buffer.concat(parts), bodies[0]);
    assert.equal(client.transport.condition, undefined);
    assert.equal(server.transport.condition, undefined);
  });

  it('a transfer beyond the window: amqp:session:window-violation', () => {
    const peer = rawOpened({ maxFrameSize: 512 });
    peer.push([
      amqpFrame(0, begin()),
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
    ]);
    const ss = peer.connection.sessions[0]!;
    ss.incomingCapacity = 512;
    ss.open();
    const rl = ss.links[0] as Receiver;
    rl.open();
    rl.flow(10);
    const [b] = performatives(peer.take(), Begin);
    assert.equal(b?.incomingWindow, 1);
    const transfer = (id: number) =>
      amqpFrame(
        0,
        make(Transfer, { handle: 0, deliveryId: id, deliveryTag: Buffer.from([id]), settled: true }),
        Buffer.from(new Message({ body: 'x' }).encode()),
      );
    peer.push(transfer(0));
    assert.equal(peer.transport.condition, undefined);
    assert.equal(rl.queued, 1);
    peer.push(transfer(1));
    assert.deepEqual(failure(peer), {
      condition: 'amqp:session:window-violation',
      closeSent: 'amqp:session:window-violation',
    });
    assert.equal(rl.queued, 1);
    assert.ok(peer.events().includes('transport_error'));
    const [close] = performatives(peer.items, Close);
    assert.ok(close);
  });
});
