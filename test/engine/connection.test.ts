/**
 * The connection end to end, client and server engines in memory: open and close in every order, the
 * fields of the open seen on the other side, close conditions, and the events (connection and transport)
 * in the order Proton gives them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AmqpError, Close, Open } from '../../src/codec/composite-types.js';
import { symbol, uint } from '../../src/codec/types.js';
import { Condition, State } from '../../src/engine/index.js';
import { amqpFrame, emptyFrame, make, parseOutput, performatives } from '../support/frames.js';
import { drain, pair, pump, type Side } from '../support/pair.js';

/** The events of a side since the last call, without the `transport` (output waiting) ones. */
function events(s: Side): string[] {
  return drain(s).filter((n) => n !== 'transport');
}

/** A pair both of whose connections are open, events drained. */
function opened(options: Parameters<typeof pair>[0] = {}) {
  const p = pair(options);
  p.client.connection.open();
  p.server.connection.open();
  pump(p.client, p.server);
  events(p.client);
  events(p.server);
  return p;
}

const LOCAL_CLOSED_REMOTE_CLOSED = State.LOCAL_CLOSED | State.REMOTE_CLOSED;

describe('connection: opening', () => {
  it('a new connection is LOCAL_UNINIT | REMOTE_UNINIT (9), bound and initialised in that order', () => {
    const { client, server } = pair();
    assert.equal(client.connection.state, 9);
    assert.deepEqual(events(client), ['connection_init', 'connection_bound']);
    assert.deepEqual(events(server), ['connection_init', 'connection_bound']);
    assert.equal(client.connection.transport, client.transport);
    assert.equal(client.transport.connection, client.connection);
  });

  it('client first: local_open, then the server sees remote_open, answers, and the client sees it', () => {
    const { client, server } = pair();
    events(client);
    events(server);
    client.connection.open();
    assert.equal(client.connection.state, State.LOCAL_ACTIVE | State.REMOTE_UNINIT);
    pump(client, server);
    assert.deepEqual(events(client), ['connection_local_open']);
    assert.deepEqual(events(server), ['connection_remote_open']);
    assert.equal(server.connection.state, State.LOCAL_UNINIT | State.REMOTE_ACTIVE);

    server.connection.open();
    pump(client, server);
    assert.deepEqual(events(server), ['connection_local_open']);
    assert.deepEqual(events(client), ['connection_remote_open']);
    assert.equal(client.connection.state, State.LOCAL_ACTIVE | State.REMOTE_ACTIVE);
    assert.equal(server.connection.state, State.LOCAL_ACTIVE | State.REMOTE_ACTIVE);
  });

  it('server first: the server open waits for the client header, then both are open', () => {
    const { client, server } = pair();
    server.connection.open();
    // A server says nothing before the client's header.
    assert.equal(server.transport.takeOutput(), undefined);
    client.connection.open();
    pump(client, server);
    assert.equal(client.connection.state, State.LOCAL_ACTIVE | State.REMOTE_ACTIVE);
    assert.equal(server.connection.state, State.LOCAL_ACTIVE | State.REMOTE_ACTIVE);
  });

  it('the client sends the AMQP header before anything else, even before open()', () => {
    const { client } = pair();
    const out = client.transport.takeOutput();
    assert.ok(out !== undefined);
    assert.deepEqual([...out], [0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
    client.connection.open();
    const items = parseOutput(client.transport.takeOutput()!);
    assert.equal(items.length, 1);
    assert.ok(items[0]!.kind === 'frame' && items[0]!.body instanceof Open && items[0]!.channel === 0);
  });

  it('open() twice sends one open', () => {
    const { client } = pair();
    client.connection.open();
    client.connection.open();
    const opens = performatives(parseOutput(client.transport.takeOutput()!), Open);
    assert.equal(opens.length, 1);
    assert.deepEqual(events(client), ['connection_init', 'connection_bound', 'connection_local_open']);
  });

  it('the open on the wire carries the container-id, hostname, limits, capabilities and properties', () => {
    const { client } = pair({ client: { maxFrameSize: 16384, channelMax: 9, idleTimeout: 8000 } });
    const c = client.connection;
    c.hostname = 'vhost.example';
    c.offeredCapabilities = ['ANONYMOUS-RELAY'];
    c.desiredCapabilities = ['DELAYED_DELIVERY', 'SHARED-SUBS'];
    c.properties = new Map([[symbol('product'), 'proton-ts']]);
    c.open();
    const [open] = performatives(parseOutput(client.transport.takeOutput()!), Open);
    assert.ok(open);
    assert.equal(open.containerId, 'client');
    assert.equal(open.hostname, 'vhost.example');
    assert.equal(open.maxFrameSize, 16384);
    assert.equal(open.channelMax, 9);
    assert.equal(open.idleTimeOut, 4000);
    assert.deepEqual(open.offeredCapabilities, ['ANONYMOUS-RELAY']);
    assert.deepEqual(open.desiredCapabilities, ['DELAYED_DELIVERY', 'SHARED-SUBS']);
    assert.equal(open.properties instanceof Map ? open.properties.get('product') : undefined, 'proton-ts');
  });

  it('the default open advertises channel-max 32767 and no idle-time-out', () => {
    const { client } = pair();
    client.connection.open();
    const [open] = performatives(parseOutput(client.transport.takeOutput()!), Open);
    assert.ok(open);
    assert.equal(open.channelMax, 32767);
    assert.equal(open.idleTimeOut, undefined);
    assert.equal(open.maxFrameSize, client.transport.maxFrameSize);
  });
});

describe('connection: remote fields', () => {
  it('container-id and hostname reach the other side, both ways', () => {
    const { client, server } = pair();
    client.connection.hostname = 'broker.example';
    server.connection.hostname = 'server.example';
    assert.equal(server.connection.remoteContainerId, undefined);
    client.connection.open();
    server.connection.open();
    pump(client, server);
    assert.equal(server.connection.remoteContainerId, 'client');
    assert.equal(server.connection.remoteHostname, 'broker.example');
    assert.equal(client.connection.remoteContainerId, 'server');
    assert.equal(client.connection.remoteHostname, 'server.example');
  });

  it('an empty container-id stays empty, an absent hostname stays absent', () => {
    const { client, server } = pair();
    client.connection.containerId = '';
    client.connection.open();
    pump(client, server);
    assert.equal(server.connection.remoteContainerId, '');
    assert.equal(server.connection.remoteHostname, undefined);
    assert.equal(server.connection.remoteOfferedCapabilities, undefined);
    assert.equal(server.connection.remoteDesiredCapabilities, undefined);
    assert.equal(server.connection.remoteProperties, undefined);
  });

  it('outgoing and incoming locales round trip', () => {
    const { client, server } = pair();
    client.connection.outgoingLocales = ['en-US', 'de'];
    client.connection.incomingLocales = ['fr'];
    client.connection.open();
    pump(client, server);
    assert.deepEqual(server.connection.remoteOutgoingLocales, ['en-US', 'de']);
    assert.deepEqual(server.connection.remoteIncomingLocales, ['fr']);
  });

  it('offered and desired capabilities round trip, one or many', () => {
    const { client, server } = pair();
    client.connection.offeredCapabilities = ['one'];
    client.connection.desiredCapabilities = ['a', 'b', 'c'];
    server.connection.offeredCapabilities = ['x', 'y'];
    server.connection.desiredCapabilities = ['z'];
    client.connection.open();
    server.connection.open();
    pump(client, server);
    assert.deepEqual(server.connection.remoteOfferedCapabilities, ['one']);
    assert.deepEqual(server.connection.remoteDesiredCapabilities, ['a', 'b', 'c']);
    assert.deepEqual(client.connection.remoteOfferedCapabilities, ['x', 'y']);
    assert.deepEqual(client.connection.remoteDesiredCapabilities, ['z']);
  });

  it('properties round trip (symbol keys come back as strings, values keep their types)', () => {
    const { client, server } = pair();
    client.connection.properties = new Map<never, never>([
      [symbol('product') as never, 'proton-ts' as never],
      [symbol('version') as never, uint(37) as never],
      [symbol('flag') as never, true as never],
      [symbol('bytes') as never, Buffer.from([1, 2, 3]) as never],
    ]);
    client.connection.open();
    pump(client, server);
    const p = server.connection.remoteProperties;
    assert.ok(p instanceof Map);
    assert.deepEqual([...p.keys()], ['product', 'version', 'flag', 'bytes']);
    assert.equal(p.get('product'), 'proton-ts');
    assert.deepEqual(p.get('version'), uint(37));
    assert.equal(p.get('flag'), true);
    assert.deepEqual(Buffer.from(p.get('bytes') as Uint8Array), Buffer.from([1, 2, 3]));
  });

  it('the peer limits are learnt from its open', () => {
    const { client, server } = pair({ server: { maxFrameSize: 4096, channelMax: 3, idleTimeout: 6000 } });
    assert.equal(client.transport.remoteMaxFrameSize, 0xffffffff);
    assert.equal(client.transport.remoteChannelMax, 0xffff);
    client.connection.open();
    server.connection.open();
    pump(client, server);
    assert.equal(client.transport.remoteMaxFrameSize, 4096);
    assert.equal(client.transport.remoteChannelMax, 3);
    assert.equal(client.transport.remoteIdleTimeout, 3000);
    assert.equal(server.transport.remoteChannelMax, 32767);
  });
});

describe('connection: closing', () => {
  it('client first: close, remote_close, answer, and both transports end closed', () => {
    const { client, server } = opened();
    client.connection.close();
    assert.equal(client.connection.state, State.LOCAL_CLOSED | State.REMOTE_ACTIVE);
    pump(client, server);
    assert.deepEqual(events(client), ['connection_local_close', 'transport_head_closed']);
    assert.deepEqual(events(server), ['connection_remote_close', 'transport_tail_closed']);
    assert.equal(server.connection.state, State.LOCAL_ACTIVE | State.REMOTE_CLOSED);
    assert.equal(client.transport.closed, false);
    assert.equal(server.transport.closed, false);

    server.connection.close();
    pump(client, server);
    assert.deepEqual(events(server), ['connection_local_close', 'transport_head_closed', 'transport_closed']);
    assert.deepEqual(events(client), [
      'connection_remote_close',
      'transport_tail_closed',
      'transport_closed',
    ]);
    assert.equal(client.connection.state, LOCAL_CLOSED_REMOTE_CLOSED);
    assert.equal(server.connection.state, LOCAL_CLOSED_REMOTE_CLOSED);
    assert.equal(client.transport.closed, true);
    assert.equal(server.transport.closed, true);
    assert.equal(client.transport.condition, undefined);
    assert.equal(server.transport.condition, undefined);
  });

  it('server first: the mirror image', () => {
    const { client, server } = opened();
    server.connection.close();
    pump(client, server);
    assert.deepEqual(events(server), ['connection_local_close', 'transport_head_closed']);
    assert.deepEqual(events(client), ['connection_remote_close', 'transport_tail_closed']);
    client.connection.close();
    pump(client, server);
    assert.deepEqual(events(client), ['connection_local_close', 'transport_head_closed', 'transport_closed']);
    assert.deepEqual(events(server), [
      'connection_remote_close',
      'transport_tail_closed',
      'transport_closed',
    ]);
    assert.ok(client.transport.closed && server.transport.closed);
  });

  it('simultaneous: both close before pumping, and both end closed with every event once', () => {
    const { client, server } = opened();
    client.connection.close();
    server.connection.close();
    pump(client, server);
    for (const s of [client, server]) {
      const ev = events(s);
      assert.deepEqual(
        [...ev].sort(),
        [
          'connection_local_close',
          'connection_remote_close',
          'transport_closed',
          'transport_head_closed',
          'transport_tail_closed',
        ],
        `${ev}`,
      );
      assert.equal(ev[0], 'connection_local_close');
      assert.equal(ev.at(-1), 'transport_closed');
      assert.ok(ev.indexOf('connection_remote_close') < ev.indexOf('transport_tail_closed'));
      assert.equal(s.connection.state, LOCAL_CLOSED_REMOTE_CLOSED);
      assert.equal(s.transport.closed, true);
      assert.equal(s.transport.condition, undefined);
    }
  });

  it('open and close before any pumping: the peer sees an open then a close', () => {
    const { client } = pair();
    client.connection.open();
    client.connection.close();
    const items = parseOutput(client.transport.takeOutput()!);
    assert.equal(performatives(items, Open).length, 1);
    assert.equal(performatives(items, Close).length, 1);
    const p = pair();
    p.client.connection.open();
    p.client.connection.close();
    pump(p.client, p.server);
    assert.deepEqual(events(p.server), [
      'connection_init',
      'connection_bound',
      'connection_remote_open',
      'connection_remote_close',
      'transport_tail_closed',
    ]);
    p.server.connection.open();
    p.server.connection.close();
    pump(p.client, p.server);
    assert.equal(p.client.connection.state, LOCAL_CLOSED_REMOTE_CLOSED);
    assert.equal(p.server.connection.state, LOCAL_CLOSED_REMOTE_CLOSED);
    assert.ok(p.client.transport.closed && p.server.transport.closed);
  });

  it('close() without open() opens first (an open then a close go out)', () => {
    const { client, server } = pair();
    client.connection.close();
    assert.deepEqual(events(client), [
      'connection_init',
      'connection_bound',
      'connection_local_open',
      'connection_local_close',
    ]);
    pump(client, server);
    assert.deepEqual(events(server).slice(2), [
      'connection_remote_open',
      'connection_remote_close',
      'transport_tail_closed',
    ]);
  });

  it('close() twice sends one close', () => {
    const { client } = opened();
    client.connection.close();
    client.connection.close();
    const closes = performatives(parseOutput(client.transport.takeOutput()!), Close);
    assert.equal(closes.length, 1);
    assert.deepEqual(events(client), ['connection_local_close', 'transport_head_closed']);
  });

  it('a close with a condition is the remoteCondition on the other side (name, description, info)', () => {
    const { client, server } = opened();
    const info = new Map([[symbol('retry-after'), uint(5)]]);
    client.connection.close(new Condition('amqp:connection:forced', 'going down for maintenance', info));
    const out = client.transport.takeOutput()!;
    const [close] = performatives(parseOutput(out), Close);
    assert.ok(close?.error instanceof AmqpError);
    assert.equal(close.error.condition, 'amqp:connection:forced');
    assert.equal(close.error.description, 'going down for maintenance');
    server.transport.push(out);
    const rc = server.connection.remoteCondition;
    assert.ok(rc);
    assert.equal(rc.name, 'amqp:connection:forced');
    assert.equal(rc.description, 'going down for maintenance');
    assert.deepEqual(rc.info?.get('retry-after'), uint(5));
    // The local condition of the closing side is what it set; the other side's is untouched.
    assert.equal(client.connection.condition?.name, 'amqp:connection:forced');
    assert.equal(server.connection.condition, undefined);
    // A condition sent by the application is no transport error.
    assert.equal(server.transport.condition, undefined);
    assert.equal(client.transport.condition, undefined);
  });

  it('a close without a condition leaves remoteCondition undefined, and sends a close with no error', () => {
    const { client, server } = opened();
    client.connection.close();
    const out = client.transport.takeOutput()!;
    const [close] = performatives(parseOutput(out), Close);
    assert.ok(close);
    assert.equal(close.error, undefined);
    server.transport.push(out);
    assert.equal(server.connection.remoteCondition, undefined);
    assert.equal(server.connection.remoteState, State.REMOTE_CLOSED);
  });

  it('the condition set on the connection before close() goes out', () => {
    const { client, server } = opened();
    client.connection.condition = new Condition('amqp:not-allowed', 'no');
    client.connection.close();
    pump(client, server);
    assert.equal(server.connection.remoteCondition?.name, 'amqp:not-allowed');
    assert.equal(server.connection.remoteCondition?.description, 'no');
  });

  it('nothing more goes out after the close, and input after the peer close is ignored', () => {
    const { client, server } = opened();
    client.connection.close();
    server.connection.close();
    pump(client, server);
    assert.equal(client.transport.takeOutput(), undefined);
    assert.equal(client.transport.pending(), 0);
    // A session opened after the close owes nothing: the head is closed.
    client.connection.session().open();
    assert.equal(client.transport.takeOutput(), undefined);
    events(server);
    server.transport.push(emptyFrame());
    server.transport.push(amqpFrame(0, make(Close, {})));
    assert.deepEqual(events(server), []);
    assert.equal(server.transport.condition, undefined);
  });

  it('every event of a full life, in order, on both sides', () => {
    const { client, server } = pair();
    client.connection.open();
    pump(client, server);
    server.connection.open();
    pump(client, server);
    client.connection.close();
    pump(client, server);
    server.connection.close();
    pump(client, server);
    assert.deepEqual(events(client), [
      'connection_init',
      'connection_bound',
      'connection_local_open',
      'connection_remote_open',
      'connection_local_close',
      'transport_head_closed',
      'connection_remote_close',
      'transport_tail_closed',
      'transport_closed',
    ]);
    assert.deepEqual(events(server), [
      'connection_init',
      'connection_bound',
      'connection_remote_open',
      'connection_local_open',
      'connection_remote_close',
      'transport_tail_closed',
      'connection_local_close',
      'transport_head_closed',
      'transport_closed',
    ]);
  });

  it('a transport event tells of output to write', () => {
    const { client } = pair();
    assert.ok(drain(client).includes('transport'));
    client.transport.takeOutput();
    client.connection.open();
    assert.ok(drain(client).includes('transport'));
  });

  it('unbind() emits connection_unbound and detaches the two', () => {
    const { client } = pair();
    drain(client);
    client.transport.unbind();
    assert.deepEqual(events(client), ['connection_unbound']);
    assert.equal(client.connection.transport, undefined);
    assert.equal(client.transport.connection, undefined);
  });
});
