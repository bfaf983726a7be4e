/**
 * EndpointStateHandler: the opening/opened/closing/closed/error callbacks of connections, sessions and
 * links after Proton's table, with the three 0.37 defects fixed: `closed` after a peer-initiated close,
 * `peerCloseIsError` honoured, one `disconnected` per transport. A forced connection close gives nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../src/container/event.js';
import { Condition, type Endpoint, State, Transport } from '../../src/engine/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { EndpointStateHandler } from '../../src/handlers/endpoint-state-handler.js';
import type { Logger } from '../../src/util/logger.js';
import { dispatchAll, fire, linkNamed, openLink, type Peer, peers, run } from './loop.js';

/** A delegate with no methods: every callback lands in its onUnhandled, recorded by method name. */
function recorder() {
  const log: string[] = [];
  const events: Event[] = [];
  return {
    log,
    events,
    onUnhandled(name: string, e: Event) {
      log.push(name);
      events.push(e);
    },
  };
}

type Kind = 'Connection' | 'Session' | 'Link';
const KINDS: Kind[] = ['Connection', 'Session', 'Link'];

/** The endpoint of kind `k` on a side (its first session, its first link). */
function endpointOf(p: Peer, k: Kind): Endpoint & { close(c?: Condition): void } {
  if (k === 'Connection') return p.connection;
  if (k === 'Session') return p.connection.sessions[0]!;
  return p.connection.links[0]!;
}

/** Client and server, each an EndpointStateHandler over a recording delegate, a link open between them. */
function setup(options: { peerCloseIsError?: boolean } = {}) {
  const c = recorder();
  const s = recorder();
  const { client, server } = peers(
    new EndpointStateHandler({ ...options, delegate: c }),
    new EndpointStateHandler({ delegate: s }),
  );
  openLink(client, server, 'l', false);
  c.log.length = 0;
  s.log.length = 0;
  return { c, s, client, server };
}

describe('EndpointStateHandler: opening', () => {
  it('the opening side gets opened; the other side opening, then opened, and opens', () => {
    const c = recorder();
    const s = recorder();
    const { client, server } = peers(
      new EndpointStateHandler({ delegate: c }),
      new EndpointStateHandler({ delegate: s }),
    );
    openLink(client, server, 'l', false);
    assert.deepEqual(c.log, ['onConnectionOpened', 'onSessionOpened', 'onLinkOpened']);
    // The three opens arrive together: each is answered at once, and its local open raises opened.
    assert.deepEqual(s.log, [
      'onConnectionOpening',
      'onSessionOpening',
      'onLinkOpening',
      'onConnectionOpened',
      'onSessionOpened',
      'onLinkOpened',
    ]);
    const srv = linkNamed(server, 'l', true);
    assert.equal(srv.state, State.LOCAL_ACTIVE | State.REMOTE_ACTIVE);
    assert.equal(srv.source.address, undefined, 'an auto-opened link does not copy the termini');
    assert.equal(c.events[0]!.type, 'connection_opened');
    assert.equal(c.events[2]!.link, client.connection.links[0]);
  });

  it('opened comes once even when the local and the remote open are both handled late', () => {
    const c = recorder();
    const { client, server } = peers(new EndpointStateHandler({ delegate: c }), new EndpointStateHandler());
    client.connection.open();
    // The bytes move before the client handles its local open: both events find the other side open.
    run(client, server, client);
    assert.equal(client.connection.remoteState, State.REMOTE_ACTIVE);
    dispatchAll(client);
    assert.deepEqual(c.log, ['onConnectionOpened']);
    const types = client.events.map((e) => e.type);
    assert.ok(types.indexOf('connection_local_open') < types.indexOf('connection_remote_open'));
  });

  it('opening may set up the endpoint before it is opened', () => {
    const s = {
      onLinkOpening(e: Event) {
        e.link!.source.address = 'chosen';
      },
    };
    const { client, server } = peers(new EndpointStateHandler(), new EndpointStateHandler({ delegate: s }));
    const rcv = openLink(client, server, 'l', false);
    assert.equal(rcv.remoteSource?.address, 'chosen');
  });
});

describe('EndpointStateHandler: closing', () => {
  for (const k of KINDS) {
    it(`${k}: closed here first -> closed once; the peer gets closing then closed`, () => {
      const { c, s, client, server } = setup();
      endpointOf(client, k).close();
      run(client, server);
      assert.deepEqual(c.log, [`on${k}Closed`]);
      assert.deepEqual(s.log, [`on${k}Closing`, `on${k}Closed`]);
      assert.equal(endpointOf(server, k).localState, State.LOCAL_CLOSED, 'the peer answered the close');
    });

    it(`${k}: closed by the peer without a condition -> closing, closed (0.37 gives no closed)`, () => {
      const { c, client, server } = setup();
      endpointOf(server, k).close();
      run(client, server);
      assert.deepEqual(c.log, [`on${k}Closing`, `on${k}Closed`]);
      assert.equal(endpointOf(client, k).state, State.LOCAL_CLOSED | State.REMOTE_CLOSED);
    });

    it(`${k}: closed by the peer with a condition -> error, closed`, () => {
      const { c, client, server } = setup();
      endpointOf(server, k).close(new Condition('amqp:not-found', 'no such thing'));
      run(client, server);
      assert.deepEqual(c.log, [`on${k}Error`, `on${k}Closed`]);
      const e = c.events.at(-2)!;
      assert.equal(e.type, `${k.toLowerCase()}_error`);
      const ep = k === 'Connection' ? e.connection : k === 'Session' ? e.session : e.link;
      assert.equal(ep?.remoteCondition?.name, 'amqp:not-found');
      assert.equal(endpointOf(client, k).localState, State.LOCAL_CLOSED);
    });

    it(`${k}: peerCloseIsError -> a peer close without a condition is an error (0.37 ignores the flag)`, () => {
      const { c, client, server } = setup({ peerCloseIsError: true });
      endpointOf(server, k).close();
      run(client, server);
      assert.deepEqual(c.log, [`on${k}Error`, `on${k}Closed`]);
    });

    it(`${k}: peerCloseIsError does not make the answer to our own close an error`, () => {
      const { c, client, server } = setup({ peerCloseIsError: true });
      endpointOf(client, k).close();
      run(client, server);
      assert.deepEqual(c.log, [`on${k}Closed`]);
    });

    it(`${k}: closed here, the peer answers with a condition -> error, then closed`, () => {
      const { c, client, server } = setup();
      endpointOf(client, k).close();
      endpointOf(server, k).close(new Condition('amqp:internal-error', 'oops'));
      run(client, server);
      assert.deepEqual(c.log, [`on${k}Error`, `on${k}Closed`]);
    });
  }

  it('a connection closed by the peer with amqp:connection:forced gives no callback and is not closed here', () => {
    const { c, client, server } = setup();
    server.connection.close(new Condition('amqp:connection:forced', 'shutting down'));
    run(client, server);
    // The peer's close ends its input: the connection, still open here, is disconnected (reconnect).
    assert.deepEqual(c.log, ['onDisconnected']);
    assert.equal(client.connection.localState, State.LOCAL_ACTIVE, 'left for reconnect');
    assert.ok(!client.events.some((e) => e.type === 'connection_local_close'));
  });
});

describe('EndpointStateHandler: disconnected', () => {
  it('once per transport when the input ends on a connection open here (0.37 fires twice)', () => {
    const { c, client } = setup();
    client.transport.closeTail();
    dispatchAll(client);
    assert.ok(client.events.some((e) => e.type === 'transport_tail_closed'));
    // Then transport_closed, whether the engine has queued it yet or not.
    fire(client.handler, 'transport_closed', client.transport);
    assert.deepEqual(c.log, ['onDisconnected']);
    assert.equal(c.events[0]!.transport, client.transport);
    assert.equal(c.events[0]!.connection, client.connection);
  });

  it('not when the connection was closed here', () => {
    const { c, client, server } = setup();
    client.connection.close();
    run(client, server);
    client.transport.closeTail();
    dispatchAll(client);
    assert.deepEqual(c.log, ['onConnectionClosed']);
  });

  it('a new transport for the same connection (reconnect) may be disconnected again', () => {
    const { c, client } = setup();
    client.transport.closeTail();
    dispatchAll(client);
    const next = new Transport();
    next.connection = client.connection;
    fire(client.handler, 'transport_tail_closed', next);
    fire(client.handler, 'transport_closed', next);
    assert.deepEqual(c.log, ['onDisconnected', 'onDisconnected']);
  });

  it('not for a transport with no connection', () => {
    const c = recorder();
    fire(new EndpointStateHandler({ delegate: c }), 'transport_tail_closed', {});
    assert.deepEqual(c.log, []);
  });
});

describe('EndpointStateHandler: standalone', () => {
  it('without a delegate, calls its own methods; the errors are logged', () => {
    const lines: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (m) => lines.push(m) };
    const seen: string[] = [];
    class Mine extends EndpointStateHandler {
      onLinkClosing(e: Event) {
        seen.push(e.type);
      }
    }
    const { client, server } = peers(new Mine({ logger }), new EndpointStateHandler());
    openLink(client, server, 'l', false);
    const srv = linkNamed(server, 'l', true);
    srv.close();
    run(client, server);
    assert.deepEqual(seen, ['link_closing']);
    server.connection.sessions[0]!.close(new Condition('amqp:resource-limit-exceeded', 'too many'));
    run(client, server);
    assert.deepEqual(lines, ['too many']);
    server.connection.close(new Condition('amqp:internal-error'));
    run(client, server);
    assert.deepEqual(lines, ['too many', 'amqp:internal-error'], 'no description: the name');
  });

  it('printError says "<type> closed by peer" for a close without a condition', () => {
    const { client, server } = setup();
    const lines: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (m) => lines.push(m) };
    const srv = linkNamed(server, 'l', true);
    srv.close();
    // The peer's close arrives; the client has not handled it yet.
    run(client, server, client);
    const rcv = client.connection.links[0]!;
    EndpointStateHandler.printError(rcv, 'link', logger);
    assert.deepEqual(lines, ['link closed by peer']);
    rcv.close();
    EndpointStateHandler.printError(rcv, 'link', logger);
    assert.equal(lines.length, 1, 'nothing once closed here');
  });

  it('the state tests', () => {
    const { client, server } = setup();
    const c = client.connection;
    const E = EndpointStateHandler;
    assert.deepEqual([E.isLocalOpen(c), E.isLocalUninitialised(c), E.isLocalClosed(c)], [true, false, false]);
    assert.deepEqual([E.isRemoteOpen(c), E.isRemoteClosed(c)], [true, false]);
    const fresh = c.session();
    assert.equal(E.isLocalUninitialised(fresh), true);
    server.connection.close();
    run(client, server, client);
    assert.equal(E.isRemoteClosed(c), true);
  });

  it('checks its options', () => {
    assert.throws(
      () => new EndpointStateHandler({ peerCloseIsError: 'yes' as unknown as boolean }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'peerCloseIsError',
    );
    assert.throws(
      () => new EndpointStateHandler({ delegat: {} } as never),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'delegat',
    );
    assert.throws(
      () => new EndpointStateHandler({ logger: console.log as never }),
      (e: unknown) => e instanceof InvalidOptionError && e.option === 'logger',
    );
  });
});
