/**
 * Links: attach, detach and close both ways in every order, several links per session, termini and
 * link fields exchanged intact, and the spec's flow control (2.6.7): credit, queued sends, drain,
 * available, echo, and sequence numbers that wrap at 2^32. After Proton's LinkTest and CreditTest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Accepted, Flow, Modified, Transfer } from '../../src/codec/composite-types.js';
import { amqpEquals } from '../../src/codec/equals.js';
import { type AmqpValue, Described, symbol, ulong } from '../../src/codec/types.js';
import {
  Condition,
  DeliveryError,
  type Link,
  LinkError,
  type Receiver,
  ReceiverSettleMode,
  type Sender,
  SenderSettleMode,
  State,
} from '../../src/engine/index.js';
import { ProtonError } from '../../src/errors.js';
import {
  connect,
  type Env,
  framesOf,
  payload,
  readAll,
  recordFrames,
  sendLink,
  sendMessage,
} from '../support/flows.js';
import { drain, pump } from '../support/pair.js';

const ACTIVE_ACTIVE = State.LOCAL_ACTIVE | State.REMOTE_ACTIVE;
const CLOSED_CLOSED = State.LOCAL_CLOSED | State.REMOTE_CLOSED;

function count(names: string[], type: string): number {
  return names.filter((n) => n === type).length;
}

/** The server's link paired with a client link: same name, the other role. */
function peerOf(env: Env, l: Link): Link {
  const found = env.ss.links.filter((x) => x.name === l.name && x.isSender === l.isReceiver);
  assert.equal(found.length, 1, `one server link pairs with '${l.name}'`);
  return found[0]!;
}

/** Receives one whole message on `rcv` and advances past it. */
function receiveOne(rcv: Receiver): Buffer {
  const d = rcv.current;
  assert.ok(d !== undefined, 'a delivery has arrived');
  assert.equal(d.partial, false);
  const b = readAll(rcv);
  rcv.advance();
  return b;
}

describe('link attach, detach and close', () => {
  type Step = 'C.open' | 'S.open' | 'C.close' | 'S.close' | 'pump';
  const orders: [string, Step[]][] = [
    [
      'client attaches, server answers, client closes first',
      ['C.open', 'pump', 'S.open', 'pump', 'C.close', 'pump', 'S.close', 'pump'],
    ],
    [
      'client attaches, server answers, server closes first',
      ['C.open', 'pump', 'S.open', 'pump', 'S.close', 'pump', 'C.close', 'pump'],
    ],
    [
      'client attaches and closes before the server answers',
      ['C.open', 'C.close', 'pump', 'S.open', 'pump', 'S.close', 'pump'],
    ],
    [
      'client attaches, server answers and closes at once',
      ['C.open', 'pump', 'S.open', 'S.close', 'pump', 'C.close', 'pump'],
    ],
    ['both close at the same time', ['C.open', 'pump', 'S.open', 'pump', 'C.close', 'S.close', 'pump']],
    ['client closes without ever opening (open + close)', ['C.close', 'pump', 'S.open', 'S.close', 'pump']],
    [
      'the server closes the moment the attach arrives, unanswered',
      ['C.open', 'pump', 'S.close', 'pump', 'C.close', 'pump'],
    ],
  ];
  for (const [title, steps] of orders) {
    it(title, () => {
      const env = connect();
      const snd = env.cs.sender('L');
      snd.target.address = 'q';
      let rcv: Link | undefined;
      const server = () => {
        rcv ??= env.ss.links.find((l) => l.name === 'L');
        assert.ok(rcv, 'the server has the link');
        return rcv;
      };
      for (const s of steps) {
        if (s === 'C.open') snd.open();
        else if (s === 'C.close') snd.close();
        else if (s === 'S.open') server().open();
        else if (s === 'S.close') server().close();
        else pump(env.client, env.server);
      }
      const c = drain(env.client);
      const sv = drain(env.server);
      assert.equal(snd.state, CLOSED_CLOSED);
      assert.equal(server().state, CLOSED_CLOSED);
      assert.equal(count(sv, 'link_remote_open'), 1, `server events ${sv}`);
      assert.equal(count(sv, 'link_remote_close'), 1, `server events ${sv}`);
      assert.equal(count(c, 'link_remote_close'), 1, `client events ${c}`);
      assert.equal(count(sv, 'link_remote_detach') + count(c, 'link_remote_detach'), 0);
      assert.equal(env.ss.links.length, 1, 'the server made one link');
      // Every handle is given back on both sides.
      assert.equal(env.cs.linksByHandle.size, 0);
      assert.equal(env.cs.linksByRemoteHandle.size, 0);
      assert.equal(env.ss.linksByHandle.size, 0);
      assert.equal(env.ss.linksByRemoteHandle.size, 0);
      assert.equal(env.server.transport.condition, undefined);
      assert.equal(env.client.transport.condition, undefined);
      // The name can be used again on the same session, and the new link carries a message.
      const again = sendLink(env, 'L2', 1);
      sendMessage(again.snd, payload(10));
      pump(env.client, env.server);
      assert.deepEqual(receiveOne(again.rcv), payload(10));
    });
  }

  it('a peer attaching and detaching for ever does not grow the sessions: closed links are let go of', () => {
    const env = connect();
    const closed: Link[] = [];
    for (let i = 0; i < 2000; i++) {
      const a = sendLink(env, `churn-${i}`, 1);
      sendMessage(a.snd, payload(10)); // an unsettled delivery, dropped with its link
      pump(env.client, env.server);
      a.snd.close();
      pump(env.client, env.server);
      a.rcv.close();
      pump(env.client, env.server);
      closed.push(a.rcv);
      drain(env.client);
      drain(env.server);
    }
    // Each side keeps at most the link closed last (listed until the next attach, as Proton until freed).
    assert.ok(env.ss.links.length <= 2, `${env.ss.links.length} server links listed`);
    assert.ok(env.cs.links.length <= 2, `${env.cs.links.length} client links listed`);
    assert.ok(env.ss.incomingDeliveries.size <= 2, `${env.ss.incomingDeliveries.size} deliveries kept`);
    assert.ok(env.cs.outgoingDeliveries.size <= 2, `${env.cs.outgoingDeliveries.size} deliveries kept`);
    assert.ok(closed.every((l) => l.state === CLOSED_CLOSED));
    // And the session still works.
    const b = sendLink(env, 'after', 1);
    sendMessage(b.snd, payload(10));
    pump(env.client, env.server);
    assert.deepEqual(receiveOne(b.rcv), payload(10));
  });

  it('reattaches a closed link name on the same session, with a fresh handle pairing', () => {
    const env = connect();
    const a = sendLink(env, 'same', 1);
    a.snd.close();
    pump(env.client, env.server);
    a.rcv.close();
    pump(env.client, env.server);
    const snd = env.cs.sender('same');
    snd.open();
    pump(env.client, env.server);
    const fresh = env.ss.links.filter((l) => l.name === 'same');
    // The closed link was let go of as the new attach came (Session.pruneClosed): one link, a new one.
    assert.equal(fresh.length, 1, 'only the new server link is listed');
    assert.notEqual(fresh[0], a.rcv, 'a new server link, not the closed one');
    const rcv = fresh[0] as Receiver;
    assert.equal(rcv.remoteState, State.REMOTE_ACTIVE);
    assert.equal(a.rcv.state, CLOSED_CLOSED, 'the old link stays closed');
    rcv.open();
    rcv.flow(1);
    pump(env.client, env.server);
    sendMessage(snd, payload(5, 9));
    pump(env.client, env.server);
    assert.deepEqual(receiveOne(rcv), payload(5, 9));
  });

  it('detach (closed=false) is seen as link_remote_detach, close as link_remote_close', () => {
    const env = connect();
    const a = sendLink(env, 'det');
    a.snd.detach();
    pump(env.client, env.server);
    const sv = drain(env.server);
    assert.ok(sv.includes('link_remote_detach'), `server events ${sv}`);
    assert.ok(!sv.includes('link_remote_close'));
    assert.ok(drain(env.client).includes('link_local_detach'));
    assert.equal(a.rcv.remoteState, State.REMOTE_CLOSED);
    a.rcv.detach();
    pump(env.client, env.server);
    const c = drain(env.client);
    assert.ok(c.includes('link_remote_detach'), `client events ${c}`);
    assert.ok(!c.includes('link_remote_close'));
    assert.equal(a.snd.state, CLOSED_CLOSED);

    const b = sendLink(env, 'cls');
    b.snd.close();
    pump(env.client, env.server);
    const sv2 = drain(env.server);
    assert.ok(sv2.includes('link_remote_close'), `server events ${sv2}`);
    assert.ok(!sv2.includes('link_remote_detach'));
    // Answering a close with a detach: the client sees a detach.
    b.rcv.detach();
    pump(env.client, env.server);
    assert.ok(drain(env.client).includes('link_remote_detach'));

    const c3 = sendLink(env, 'mixed');
    c3.snd.detach();
    pump(env.client, env.server);
    c3.rcv.close();
    pump(env.client, env.server);
    assert.ok(drain(env.client).includes('link_remote_close'));
  });

  it('the server detaching first is seen by the client as link_remote_detach', () => {
    const env = connect();
    const a = sendLink(env, 'sdet');
    a.rcv.detach();
    pump(env.client, env.server);
    assert.ok(drain(env.client).includes('link_remote_detach'));
    assert.equal(a.snd.state, State.LOCAL_ACTIVE | State.REMOTE_CLOSED);
    a.snd.close();
    pump(env.client, env.server);
    assert.ok(drain(env.server).includes('link_remote_close'));
  });

  it('carries the close condition (name, description, info) each way', () => {
    const env = connect();
    const a = sendLink(env, 'cond');
    a.snd.close(new Condition('amqp:not-found', 'no such node', new Map([['node', 'q1']])));
    pump(env.client, env.server);
    const rc = a.rcv.remoteCondition;
    assert.ok(rc);
    assert.equal(rc.name, 'amqp:not-found');
    assert.equal(rc.description, 'no such node');
    assert.deepEqual(rc.info, new Map([['node', 'q1']]));
    a.rcv.close(new Condition('amqp:link:detach-forced', 'bye'));
    pump(env.client, env.server);
    assert.equal(a.snd.remoteCondition?.name, 'amqp:link:detach-forced');
    assert.equal(a.snd.remoteCondition?.description, 'bye');
    // A close without a condition carries none.
    const b = sendLink(env, 'nocond');
    b.snd.close();
    pump(env.client, env.server);
    assert.equal(b.rcv.remoteCondition, undefined);
  });

  it('close() twice sends one detach', () => {
    const env = connect();
    const a = sendLink(env, 'twice');
    const frames = recordFrames(env.client);
    a.snd.close();
    a.snd.close();
    a.snd.detach();
    pump(env.client, env.server);
    assert.equal(frames.filter((f) => f.body?.constructor.name === 'Detach').length, 1);
    assert.equal(count(drain(env.server), 'link_remote_close'), 1);
  });
});

describe('several links per session', () => {
  it('pairs links by name and role, both directions, and keeps their traffic apart', () => {
    const env = connect();
    const senders = ['a', 'b'].map((n) => {
      const s = env.cs.sender(n);
      s.target.address = `t-${n}`;
      s.open();
      return s;
    });
    const receivers = ['c', 'd'].map((n) => {
      const r = env.cs.receiver(n);
      r.source.address = `s-${n}`;
      r.open();
      return r;
    });
    // The same name for a sender and a receiver: two distinct links.
    const dupS = env.cs.sender('dup');
    const dupR = env.cs.receiver('dup');
    dupS.open();
    dupR.open();
    // A link the server begins.
    const serverSender = env.ss.sender('e');
    serverSender.source.address = 's-e';
    serverSender.open();
    pump(env.client, env.server);

    assert.equal(env.ss.links.length, 7);
    assert.equal(env.cs.links.length, 7);
    for (const l of [...senders, ...receivers, dupS, dupR]) {
      const p = peerOf(env, l);
      assert.equal(p.remoteState, State.REMOTE_ACTIVE, `${l.name} reached the server`);
      p.open();
    }
    const e = env.cs.links.find((l) => l.name === 'e');
    assert.ok(e?.isReceiver, 'the server sender appears on the client as a receiver');
    assert.equal(e.remoteSource?.address, 's-e');
    e.open();
    pump(env.client, env.server);
    for (const l of env.cs.links) assert.equal(l.state, ACTIVE_ACTIVE, `${l.name} is active`);
    for (const l of env.ss.links) assert.equal(l.state, ACTIVE_ACTIVE, `${l.name} is active`);
    assert.equal(peerOf(env, senders[1]!).remoteTarget?.address, 't-b');
    assert.equal(peerOf(env, receivers[0]!).remoteSource?.address, 's-c');
    // Distinct handles on each side.
    assert.equal(new Set(env.cs.links.map((l) => l.handle)).size, 7);
    assert.equal(new Set(env.ss.links.map((l) => l.handle)).size, 7);

    // Traffic: client senders to server receivers, server senders to client receivers.
    const pairs: [Sender, Receiver][] = [
      [senders[0]!, peerOf(env, senders[0]!) as Receiver],
      [senders[1]!, peerOf(env, senders[1]!) as Receiver],
      [dupS, peerOf(env, dupS) as Receiver],
      [peerOf(env, receivers[0]!) as Sender, receivers[0]!],
      [peerOf(env, receivers[1]!) as Sender, receivers[1]!],
      [peerOf(env, dupR) as Sender, dupR],
      [serverSender, e as Receiver],
    ];
    for (const [, r] of pairs) r.flow(2);
    pump(env.client, env.server);
    pairs.forEach(([s], i) => {
      sendMessage(s, payload(50 + i, i + 1));
    });
    pump(env.client, env.server);
    pairs.forEach(([s, r], i) => {
      assert.equal(r.queued, 1, `one message on ${r.name}`);
      assert.deepEqual(receiveOne(r), payload(50 + i, i + 1), `the right bytes on ${s.name}`);
    });
  });

  it('pairs links both sides attach at the same time by name', () => {
    const env = connect();
    const snd = env.cs.sender('x');
    snd.open();
    const rcv = env.ss.receiver('x');
    rcv.open();
    rcv.flow(1);
    pump(env.client, env.server);
    assert.equal(env.ss.links.length, 1, 'the attach paired with the server receiver');
    assert.equal(env.cs.links.length, 1);
    assert.equal(snd.state, ACTIVE_ACTIVE);
    assert.equal(rcv.state, ACTIVE_ACTIVE);
    assert.equal(snd.credit, 1);
    sendMessage(snd, payload(3));
    pump(env.client, env.server);
    assert.deepEqual(receiveOne(rcv), payload(3));
  });

  it('closing one link leaves the others working', () => {
    const env = connect();
    const a = sendLink(env, 'one', 5);
    const b = sendLink(env, 'two', 5);
    a.snd.close();
    pump(env.client, env.server);
    a.rcv.close();
    sendMessage(b.snd, payload(20));
    pump(env.client, env.server);
    assert.deepEqual(receiveOne(b.rcv), payload(20));
    assert.equal(b.snd.state, ACTIVE_ACTIVE);
  });
});

describe('termini and link fields', () => {
  it('carries every source and target field intact', () => {
    const env = connect();
    const selector = new Described(symbol('apache.org:selector-filter:string'), "colour = 'red'");
    const numeric = new Described(ulong(0x0000468c00000004n), 'amqp.annotation.x-opt-id > 3');
    const snd = env.cs.sender('full');
    const src = snd.source;
    src.address = 'src-addr';
    src.durable = 2;
    src.expiryPolicy = 'never';
    src.timeout = 3600;
    src.dynamic = true;
    src.dynamicNodeProperties = new Map<AmqpValue, AmqpValue>([
      ['lifetime-policy', new Described(ulong(0x2b), [])],
      ['x-opt-size', 12],
    ]);
    src.distributionMode = 'copy';
    src.filter = new Map([
      ['selector', selector],
      ['numeric', numeric],
    ]);
    src.defaultOutcome = Object.assign(new Modified(), { deliveryFailed: true, undeliverableHere: false });
    src.outcomes = ['amqp:accepted:list', 'amqp:rejected:list', 'amqp:modified:list'];
    src.capabilities = ['queue', 'shared'];
    const tgt = snd.target;
    tgt.address = 'tgt-addr';
    tgt.durable = 1;
    tgt.expiryPolicy = 'connection-close';
    tgt.timeout = 5;
    tgt.dynamic = false;
    tgt.dynamicNodeProperties = new Map([['supported-dist-modes', 'move']]);
    tgt.capabilities = ['topic'];
    snd.open();
    pump(env.client, env.server);
    const rcv = env.ss.links[0]!;
    const rs = rcv.remoteSource;
    const rt = rcv.remoteTarget;
    assert.ok(rs && rt);
    assert.equal(rs.type, 'source');
    assert.equal(rs.address, 'src-addr');
    assert.equal(rs.durable, 2);
    assert.equal(rs.expiryPolicy, 'never');
    assert.equal(rs.timeout, 3600);
    assert.equal(rs.dynamic, true);
    assert.ok(rs.dynamicNodeProperties);
    assert.ok(amqpEquals(rs.dynamicNodeProperties, src.dynamicNodeProperties), 'dynamic-node-properties');
    assert.equal(rs.distributionMode, 'copy');
    assert.ok(rs.filter instanceof Map);
    assert.deepEqual([...rs.filter.keys()], ['selector', 'numeric']);
    const sel = rs.filter.get('selector');
    assert.ok(sel instanceof Described, 'the selector stays a described value');
    assert.ok(amqpEquals(sel, selector), 'the symbol-described selector');
    assert.equal(String(sel.descriptor), 'apache.org:selector-filter:string');
    assert.equal(sel.value, "colour = 'red'");
    assert.ok(amqpEquals(rs.filter.get('numeric')!, numeric), 'the ulong-described filter');
    assert.ok(rs.defaultOutcome instanceof Modified);
    assert.equal(rs.defaultOutcome.deliveryFailed, true);
    assert.equal(rs.defaultOutcome.undeliverableHere, false);
    assert.deepEqual(rs.outcomes, ['amqp:accepted:list', 'amqp:rejected:list', 'amqp:modified:list']);
    assert.deepEqual(rs.capabilities, ['queue', 'shared']);
    assert.equal(rt.type, 'target');
    assert.equal(rt.address, 'tgt-addr');
    assert.equal(rt.durable, 1);
    assert.equal(rt.expiryPolicy, 'connection-close');
    assert.equal(rt.timeout, 5);
    assert.equal(rt.dynamic, false);
    assert.ok(amqpEquals(rt.dynamicNodeProperties!, tgt.dynamicNodeProperties));
    assert.deepEqual(rt.capabilities, ['topic']);
    // Target-only terminus: the source-only fields stay empty.
    assert.equal(rt.distributionMode, undefined);
    assert.equal(rt.filter, undefined);
  });

  it('gives the spec defaults for a terminus with only an address', () => {
    const env = connect();
    const snd = env.cs.sender('plain');
    snd.target.address = 'q';
    snd.open();
    pump(env.client, env.server);
    const rcv = env.ss.links[0]!;
    const rs = rcv.remoteSource!;
    assert.equal(rs.address, undefined);
    assert.equal(rs.durable, 0);
    assert.equal(rs.expiryPolicy, 'session-end');
    assert.equal(rs.timeout, 0);
    assert.equal(rs.dynamic, false);
    assert.equal(rs.filter, undefined);
    assert.equal(rs.outcomes, undefined);
    assert.equal(rcv.remoteTarget?.address, 'q');
  });

  it('a dynamic source is answered with the address the peer made', () => {
    const env = connect();
    const rcv = env.cs.receiver('dyn');
    rcv.source.dynamic = true;
    rcv.source.dynamicNodeProperties = new Map([['x-opt-temp', true]]);
    rcv.open();
    pump(env.client, env.server);
    const snd = env.ss.links[0]!;
    assert.ok(snd.isSender);
    assert.equal(snd.remoteSource?.dynamic, true);
    assert.equal(snd.remoteSource?.address, undefined);
    snd.source.copy(snd.remoteSource!);
    snd.source.dynamic = true;
    snd.source.address = 'tmp.queue.42';
    snd.target.address = undefined;
    snd.open();
    pump(env.client, env.server);
    assert.equal(rcv.remoteSource?.address, 'tmp.queue.42');
    assert.equal(rcv.remoteSource?.dynamic, true);
    assert.ok(amqpEquals(rcv.remoteSource!.dynamicNodeProperties!, new Map([['x-opt-temp', true]])));
  });

  it('carries a coordinator target', () => {
    const env = connect();
    const snd = env.cs.sender('txn-ctrl');
    snd.target.type = 'coordinator';
    snd.target.capabilities = ['amqp:local-transactions', 'amqp:multi-txns-per-ssn'];
    snd.source.outcomes = ['amqp:accepted:list', 'amqp:rejected:list'];
    snd.open();
    pump(env.client, env.server);
    const rcv = env.ss.links[0]!;
    assert.equal(rcv.remoteTarget?.type, 'coordinator');
    assert.deepEqual(rcv.remoteTarget?.capabilities, ['amqp:local-transactions', 'amqp:multi-txns-per-ssn']);
    assert.equal(rcv.remoteSource?.type, 'source');
    assert.deepEqual(rcv.remoteSource?.outcomes, ['amqp:accepted:list', 'amqp:rejected:list']);
    // The coordinator answers with its own coordinator target.
    rcv.target.type = 'coordinator';
    rcv.target.capabilities = ['amqp:local-transactions'];
    rcv.open();
    pump(env.client, env.server);
    assert.equal(snd.remoteTarget?.type, 'coordinator');
    assert.deepEqual(snd.remoteTarget?.capabilities, ['amqp:local-transactions']);
  });

  it('exchanges settle modes, max-message-size, properties and capabilities both ways', () => {
    const env = connect();
    const snd = env.cs.sender('fields');
    snd.sndSettleMode = SenderSettleMode.settled;
    snd.rcvSettleMode = ReceiverSettleMode.second;
    snd.maxMessageSize = 1_000_000;
    snd.properties = new Map<string, string | number | boolean>([
      ['com.example:name', 'sender-1'],
      ['weight', 7],
      ['flag', true],
    ]);
    snd.offeredCapabilities = ['cap-offered'];
    snd.desiredCapabilities = ['cap-desired', 'cap-2'];
    snd.open();
    pump(env.client, env.server);
    const rcv = env.ss.links[0]!;
    assert.equal(rcv.remoteSndSettleMode, SenderSettleMode.settled);
    assert.equal(rcv.remoteRcvSettleMode, ReceiverSettleMode.second);
    assert.equal(Number(rcv.remoteMaxMessageSize), 1_000_000);
    assert.ok(rcv.remoteProperties);
    assert.ok(amqpEquals(rcv.remoteProperties, snd.properties), 'properties');
    assert.deepEqual(rcv.remoteOfferedCapabilities, ['cap-offered']);
    assert.deepEqual(rcv.remoteDesiredCapabilities, ['cap-desired', 'cap-2']);

    rcv.sndSettleMode = SenderSettleMode.unsettled;
    rcv.rcvSettleMode = ReceiverSettleMode.first;
    rcv.maxMessageSize = 2n ** 40n;
    rcv.properties = new Map([['server-prop', 'x']]);
    rcv.offeredCapabilities = ['srv-cap'];
    rcv.open();
    pump(env.client, env.server);
    assert.equal(snd.remoteSndSettleMode, SenderSettleMode.unsettled);
    assert.equal(snd.remoteRcvSettleMode, ReceiverSettleMode.first);
    assert.equal(Number(snd.remoteMaxMessageSize), 2 ** 40);
    assert.ok(amqpEquals(snd.remoteProperties!, new Map([['server-prop', 'x']])));
    assert.deepEqual(snd.remoteOfferedCapabilities, ['srv-cap']);
    assert.equal(snd.remoteDesiredCapabilities, undefined);
  });

  it('defaults: mixed and first, no max-message-size, as Proton', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'defaults');
    assert.equal(snd.sndSettleMode, SenderSettleMode.mixed);
    assert.equal(snd.rcvSettleMode, ReceiverSettleMode.first);
    assert.equal(rcv.remoteSndSettleMode, SenderSettleMode.mixed);
    assert.equal(rcv.remoteRcvSettleMode, ReceiverSettleMode.first);
    assert.equal(Number(rcv.remoteMaxMessageSize), 0);
    assert.equal(Number(snd.remoteMaxMessageSize), 0);
    assert.equal(rcv.remoteProperties, undefined);
  });
});

describe('credit', () => {
  it("the sender's credit follows the receiver's flow and goes down as it sends", () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'c');
    assert.equal(snd.credit, 0);
    rcv.flow(10);
    assert.equal(rcv.credit, 10);
    pump(env.client, env.server);
    assert.ok(drain(env.client).includes('link_flow'));
    assert.equal(snd.credit, 10);
    for (let i = 0; i < 3; i++) sendMessage(snd, payload(10, i));
    // Proton: the sender's credit goes down on advance, not on the wire write.
    assert.equal(snd.credit, 7);
    assert.equal(snd.queued, 3);
    pump(env.client, env.server);
    assert.equal(snd.credit, 7);
    assert.equal(snd.queued, 0);
    assert.equal(rcv.queued, 3);
    for (let i = 0; i < 3; i++) assert.deepEqual(receiveOne(rcv), payload(10, i));
    assert.equal(rcv.credit, 7);
    assert.equal(snd.deliveryCount, 3);
    assert.equal(rcv.deliveryCount, 3);
  });

  it("the receiver's credit goes down when it advances, not when a delivery arrives (Proton)", () => {
    // Proton-C pni_advance_receiver: link->credit-- on advance; pn_link_credit reports link->credit.
    const env = connect();
    const { snd, rcv } = sendLink(env, 'rc', 10);
    sendMessage(snd, payload(4), 'tag');
    pump(env.client, env.server);
    assert.equal(rcv.queued, 1);
    assert.equal(rcv.credit, 10, 'still 10 while the delivery is queued');
    assert.equal(snd.credit, 9);
    assert.ok(rcv.advance());
    assert.equal(rcv.credit, 9);
    assert.equal(rcv.queued, 0);
  });

  it('sending with no credit queues, credit goes negative, and the queue drains as credit comes', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'q');
    const frames = recordFrames(env.client);
    for (let i = 0; i < 3; i++) sendMessage(snd, payload(20, i));
    assert.equal(snd.credit, -3);
    assert.equal(snd.queued, 3);
    pump(env.client, env.server);
    assert.equal(framesOf(frames, Transfer).length, 0, 'nothing goes out without credit');
    assert.equal(rcv.queued, 0);
    rcv.flow(2);
    pump(env.client, env.server);
    assert.equal(rcv.queued, 2);
    assert.equal(snd.queued, 1);
    assert.equal(snd.credit, -1);
    rcv.flow(5);
    pump(env.client, env.server);
    assert.equal(rcv.queued, 3);
    assert.equal(snd.queued, 0);
    assert.equal(snd.credit, 4);
    for (let i = 0; i < 3; i++) assert.deepEqual(receiveOne(rcv), payload(20, i), `message ${i} in order`);
    assert.equal(framesOf(frames, Transfer).length, 3);
  });

  it('credit topped up by several flows adds up', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'top');
    const frames = recordFrames(env.server);
    rcv.flow(3);
    rcv.flow(4);
    pump(env.client, env.server);
    assert.equal(snd.credit, 7);
    const flows = framesOf(frames, Flow).filter((f) => f.body.handle !== undefined);
    assert.equal(flows.at(-1)?.body.linkCredit, 7);
    rcv.flow(1);
    pump(env.client, env.server);
    assert.equal(snd.credit, 8);
    sendMessage(snd, payload(1));
    sendMessage(snd, payload(2));
    pump(env.client, env.server);
    rcv.flow(3);
    pump(env.client, env.server);
    assert.equal(snd.credit, 9, '8 - 2 + 3');
    rcv.flow(0);
    pump(env.client, env.server);
    assert.equal(snd.credit, 9);
  });

  it('drain with nothing to send: the sender gives all its credit back', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'd');
    rcv.drainCredit(5);
    assert.equal(rcv.draining(), true);
    pump(env.client, env.server);
    assert.ok(drain(env.client).includes('link_flow'));
    assert.equal(snd.drain, true);
    assert.equal(snd.credit, 5);
    assert.equal(rcv.draining(), true, 'still draining until the sender answers');
    assert.equal(snd.drained(), 5);
    assert.equal(snd.credit, 0);
    pump(env.client, env.server);
    assert.ok(drain(env.server).includes('link_flow'));
    assert.equal(rcv.credit, 0);
    assert.equal(rcv.draining(), false);
    assert.equal(snd.deliveryCount, 5);
    assert.equal(rcv.deliveryCount, 5);
    assert.equal(snd.drained(), 0, 'nothing more to give back');
  });

  it('drain with fewer messages than credit: the messages, then the rest given back', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'd2');
    rcv.drainCredit(10);
    pump(env.client, env.server);
    for (let i = 0; i < 3; i++) sendMessage(snd, payload(30, i));
    assert.equal(snd.drained(), 7);
    pump(env.client, env.server);
    assert.equal(rcv.queued, 3);
    for (let i = 0; i < 3; i++) assert.deepEqual(receiveOne(rcv), payload(30, i));
    assert.equal(rcv.credit, 0);
    assert.equal(rcv.draining(), false);
    assert.equal(snd.credit, 0);
    assert.equal(snd.deliveryCount, 10);
    assert.equal(rcv.deliveryCount, 10);
  });

  it('drain after the messages went out: the same end state', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'd3');
    rcv.drainCredit(10);
    pump(env.client, env.server);
    for (let i = 0; i < 3; i++) sendMessage(snd, payload(30, i));
    pump(env.client, env.server);
    assert.equal(snd.drained(), 7);
    pump(env.client, env.server);
    assert.equal(rcv.queued, 3);
    assert.equal(rcv.draining(), false);
    assert.equal(snd.deliveryCount, 10);
    assert.equal(rcv.deliveryCount, 10);
  });

  it('drain with messages queued before the credit: they go out, then the rest is given back', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'd4');
    sendMessage(snd, payload(5, 1));
    sendMessage(snd, payload(5, 2));
    rcv.drainCredit(5);
    pump(env.client, env.server);
    assert.equal(rcv.queued, 2);
    assert.equal(snd.drain, true);
    assert.equal(snd.drained(), 3);
    pump(env.client, env.server);
    assert.equal(rcv.draining(), false);
    assert.equal(rcv.deliveryCount, 5);
    assert.equal(snd.deliveryCount, 5);
    // As Proton's: the two queued deliveries still count as credit until read.
    assert.equal(rcv.credit, 2);
    assert.deepEqual(receiveOne(rcv), payload(5, 1));
    assert.deepEqual(receiveOne(rcv), payload(5, 2));
    assert.equal(rcv.credit, 0);
    assert.equal(snd.credit, 0);
  });

  it('drained() outside a drain gives nothing back', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'nd', 4);
    assert.equal(snd.drain, false);
    assert.equal(snd.drained(), 0);
    assert.equal(snd.credit, 4);
    pump(env.client, env.server);
    assert.equal(rcv.credit, 4);
  });

  it('a plain flow after a drain ends asks for no drain (Proton: flow() clears the drain flag)', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'dd');
    rcv.drainCredit(4);
    pump(env.client, env.server);
    sendMessage(snd, payload(8));
    assert.equal(snd.drained(), 3);
    pump(env.client, env.server);
    assert.equal(rcv.draining(), false);
    receiveOne(rcv);
    rcv.flow(4);
    pump(env.client, env.server);
    assert.equal(snd.drain, false, 'the sender is not asked to drain again');
    assert.equal(snd.credit, 4);
    assert.equal(snd.drained(), 0);
  });

  it('a drain answered with nothing to give back (all credit used) still ends', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'full');
    rcv.drainCredit(2);
    pump(env.client, env.server);
    sendMessage(snd, payload(1));
    sendMessage(snd, payload(2));
    pump(env.client, env.server);
    assert.equal(snd.drained(), 0);
    pump(env.client, env.server);
    assert.equal(rcv.draining(), false);
    assert.equal(rcv.deliveryCount, 2);
    receiveOne(rcv);
    receiveOne(rcv);
    assert.equal(rcv.credit, 0);
  });

  it("offered(n) reaches the receiver as 'available' without touching credit", () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'av', 3);
    snd.offered(7);
    pump(env.client, env.server);
    assert.ok(drain(env.server).includes('link_flow'));
    assert.equal(rcv.available, 7);
    assert.equal(rcv.credit, 3);
    assert.equal(snd.credit, 3);
    snd.offered(0);
    pump(env.client, env.server);
    assert.equal(rcv.available, 0);
  });

  it('echo: a flow asking for echo is answered with the peer’s flow', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'echo', 2);
    const clientFrames = recordFrames(env.client);
    rcv.echo = true;
    rcv.flow(1);
    pump(env.client, env.server);
    const answers = framesOf(clientFrames, Flow).filter((f) => f.body.handle === snd.handle);
    assert.equal(answers.length, 1, 'the sender answers the echo with one flow');
    assert.equal(answers[0]!.body.linkCredit, 3);
    assert.equal(answers[0]!.body.deliveryCount, 0);
    assert.notEqual(answers[0]!.body.echo, true, 'the answer does not ask for echo again');
    assert.equal(snd.credit, 3);
    // Without echo, the sender says nothing.
    clientFrames.length = 0;
    rcv.flow(1);
    pump(env.client, env.server);
    assert.equal(framesOf(clientFrames, Flow).length, 0);
  });
});

describe('sequence numbers wrapping at 2^32', () => {
  const NEAR = 2 ** 32 - 3;

  it('credit, delivery-ids, delivery-counts and dispositions stay right across the wrap', () => {
    const env = connect({
      clientSession: (s) => {
        s.nextOutgoingId = NEAR;
        s.nextOutgoingDeliveryId = NEAR;
      },
    });
    const { snd, rcv } = sendLink(env, 'wrap', 0, (s) => {
      s.deliveryCount = NEAR;
    });
    assert.equal(rcv.deliveryCount, NEAR, 'the initial delivery-count reached the receiver');
    rcv.flow(10);
    pump(env.client, env.server);
    assert.equal(snd.credit, 10);
    const sent = [];
    for (let i = 0; i < 10; i++) sent.push(sendMessage(snd, payload(16, i)));
    assert.equal(snd.credit, 0);
    pump(env.client, env.server);
    const expectedIds = [NEAR, NEAR + 1, NEAR + 2, 0, 1, 2, 3, 4, 5, 6];
    assert.deepEqual(
      sent.map((d) => d.id),
      expectedIds,
    );
    assert.equal(rcv.queued, 10);
    const got = [...rcv.incoming];
    assert.deepEqual(
      got.map((d) => d.id),
      expectedIds,
    );
    assert.equal(snd.deliveryCount, 7);
    assert.equal(rcv.deliveryCount, 7);
    assert.equal(snd.credit, 0);
    for (let i = 0; i < 10; i++) {
      const d = rcv.current!;
      assert.deepEqual(readAll(rcv), payload(16, i));
      d.update(new Accepted());
      d.settle();
      rcv.advance();
    }
    const serverFrames = recordFrames(env.server);
    pump(env.client, env.server);
    for (const d of sent) {
      assert.ok(d.remote instanceof Accepted, `delivery ${d.id} accepted`);
      assert.equal(d.remoteSettled, true);
      d.settle();
    }
    pump(env.client, env.server);
    assert.equal(snd.unsettledCount, 0);
    assert.equal(env.cs.outgoingDeliveries.size, 0);
    assert.equal(env.ss.incomingDeliveries.size, 0);
    // More credit and more deliveries after the wrap.
    rcv.flow(5);
    pump(env.client, env.server);
    assert.equal(snd.credit, 5);
    for (let i = 0; i < 5; i++) sendMessage(snd, payload(3, i));
    pump(env.client, env.server);
    assert.deepEqual(
      [...rcv.incoming].map((d) => d.id),
      [7, 8, 9, 10, 11],
    );
    assert.equal(rcv.deliveryCount, 12);
    // The ten dispositions, consecutive across the wrap with one outcome, are one range.
    const disps = serverFrames.filter((f) => f.body?.constructor.name === 'Disposition');
    assert.equal(disps.length, 1, 'one disposition frame for ids 2^32-3 .. 6');
    const body = disps[0]!.body as { first: number; last?: number };
    assert.equal(body.first, NEAR);
    assert.equal(body.last, 6);
  });

  it('drain across the wrap', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'wrapdrain', 0, (s) => {
      s.deliveryCount = 2 ** 32 - 2;
    });
    rcv.drainCredit(5);
    pump(env.client, env.server);
    sendMessage(snd, payload(2));
    assert.equal(snd.drained(), 4);
    pump(env.client, env.server);
    assert.equal(rcv.queued, 1);
    assert.equal(rcv.draining(), false);
    receiveOne(rcv);
    assert.equal(rcv.credit, 0);
    assert.equal(snd.deliveryCount, 3);
    assert.equal(rcv.deliveryCount, 3);
    rcv.flow(2);
    pump(env.client, env.server);
    assert.equal(snd.credit, 2);
  });

  it('a receiver whose delivery-count starts just below the wrap grants credit correctly', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'wrapcredit', 0, (s) => {
      s.deliveryCount = 2 ** 32 - 1;
    });
    rcv.flow(3);
    pump(env.client, env.server);
    assert.equal(snd.credit, 3);
    for (let i = 0; i < 3; i++) sendMessage(snd, payload(1, i));
    pump(env.client, env.server);
    assert.equal(rcv.queued, 3);
    assert.equal(snd.deliveryCount, 2);
    rcv.flow(1);
    pump(env.client, env.server);
    assert.equal(snd.credit, 1);
  });
});

describe('link misuse throws a typed error at the call', () => {
  it('sending on a closed link throws LinkError', () => {
    const env = connect();
    const { snd } = sendLink(env, 'closed', 5);
    snd.close();
    assert.throws(() => snd.delivery(), LinkError);
    assert.throws(() => snd.send(payload(1)), LinkError);
  });

  it('sending on a link of a closed connection throws LinkError', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'cc', 5);
    env.client.connection.close();
    assert.throws(() => snd.delivery(), LinkError);
    env.server.connection.close();
    assert.throws(() => rcv.flow(1), LinkError);
  });

  it('delivery() while the current one is not advanced throws LinkError', () => {
    const env = connect();
    const { snd } = sendLink(env, 'cur', 5);
    snd.delivery();
    snd.send(payload(3));
    assert.throws(
      () => snd.delivery(),
      (e: unknown) =>
        e instanceof LinkError && e instanceof ProtonError && e.condition === 'amqp:illegal-state',
    );
    snd.advance();
    assert.doesNotThrow(() => snd.delivery());
  });

  it('send() without a current delivery throws LinkError', () => {
    const env = connect();
    const { snd } = sendLink(env, 'nocur', 5);
    assert.throws(() => snd.send(payload(1)), LinkError);
    sendMessage(snd, payload(1));
    assert.throws(() => snd.send(payload(1)), LinkError, 'the advanced delivery takes no more bytes');
  });

  it('recv without a current delivery throws DeliveryError', () => {
    const env = connect();
    const { rcv } = sendLink(env, 'norecv', 5);
    assert.equal(rcv.current, undefined);
    assert.throws(() => rcv.recv(10), DeliveryError);
  });

  it('flow() takes only whole numbers >= 0', () => {
    const env = connect();
    const { rcv } = sendLink(env, 'badflow');
    assert.throws(() => rcv.flow(-1), LinkError);
    assert.throws(() => rcv.flow(1.5), LinkError);
    assert.throws(() => rcv.flow(Number.NaN), LinkError);
    assert.equal(rcv.credit, 0);
  });

  it('advance() with no current delivery returns false', () => {
    const env = connect();
    const { snd, rcv } = sendLink(env, 'adv');
    assert.equal(snd.advance(), false);
    assert.equal(rcv.advance(), false);
  });
});
