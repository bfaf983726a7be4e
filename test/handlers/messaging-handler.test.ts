/**
 * MessagingHandler: its children and options, onStart, a whole exchange as Proton's hello world sees
 * it, the user's method before the children, onUnhandled for the engine events, high-level events never
 * reaching the children, the default error callbacks (log; close on fatal transport conditions and on
 * session and link errors), peerCloseIsError, and the checking of its options.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../src/container/event.js';
import { Condition, type Receiver, type Sender, State } from '../../src/engine/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { EndpointStateHandler } from '../../src/handlers/endpoint-state-handler.js';
import { FlowController } from '../../src/handlers/flow-controller.js';
import { IncomingMessageHandler } from '../../src/handlers/incoming-message-handler.js';
import { MessagingHandler, type MessagingHandlerOptions } from '../../src/handlers/messaging-handler.js';
import { OutgoingMessageHandler } from '../../src/handlers/outgoing-message-handler.js';
import type { Logger } from '../../src/util/logger.js';
import { CALLBACKS, dispatchAll, fire, linkNamed, openLink, peers, Recorder, run, send } from './loop.js';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const add = (m: string) => lines.push(m);
  return { logger: { debug: add, info: add, warn: add, error: add }, lines };
}

/** A client link to a server, both Recorders. */
function setup(clientOptions?: MessagingHandlerOptions, sender = false) {
  const c = new Recorder(clientOptions);
  const s = new Recorder();
  const { client, server } = peers(c, s);
  const link = openLink(client, server, 'l', sender);
  c.log.length = 0;
  s.log.length = 0;
  return { c, s, client, server, link };
}

describe('MessagingHandler: make-up', () => {
  it('children: EndpointStateHandler, Incoming-, OutgoingMessageHandler, then FlowController(prefetch)', () => {
    const h = new MessagingHandler({
      prefetch: 7,
      autoAccept: false,
      autoSettle: false,
      peerCloseIsError: true,
    });
    const [esh, inc, out, fc] = h.handlers;
    assert.equal(h.handlers.length, 4);
    assert.ok(fc instanceof FlowController && fc.window === 7);
    assert.ok(esh instanceof EndpointStateHandler && esh.peerCloseIsError && esh.delegate === h);
    assert.ok(inc instanceof IncomingMessageHandler && !inc.autoAccept && inc.delegate === h);
    assert.ok(out instanceof OutgoingMessageHandler && !out.autoSettle && out.delegate === h);
  });

  it('defaults: prefetch 10, auto accept and settle, peer close not an error; prefetch 0 has no FlowController', () => {
    const h = new MessagingHandler();
    assert.deepEqual([h.prefetch, h.autoAccept, h.autoSettle, h.peerCloseIsError], [10, true, true, false]);
    assert.deepEqual(h.fatalConditions, ['amqp:unauthorized-access']);
    const none = new MessagingHandler({ prefetch: 0 });
    assert.equal(none.handlers.length, 3);
    assert.ok(!none.handlers.some((x) => x instanceof FlowController));
  });

  it('reactor_init calls onStart', () => {
    const h = new Recorder();
    fire(h, 'reactor_init', undefined);
    assert.deepEqual(h.log, ['start']);
  });

  it('typed callbacks a subclass overrides', () => {
    class App extends MessagingHandler {
      bodies: unknown[] = [];
      override onMessage(event: Event): void {
        this.bodies.push(event.message?.body);
      }
    }
    const app = new App();
    const { client, server } = peers(app, new Recorder());
    openLink(client, server, 'q', false);
    send(linkNamed<Sender>(server, 'q', true), 'typed');
    run(client, server);
    assert.deepEqual(app.bodies, ['typed']);
  });
});

describe('MessagingHandler: an exchange', () => {
  it("hello world: the callbacks each side sees, as Proton's", () => {
    const c = new Recorder();
    const s = new Recorder();
    c.hooks.sendable = (e) => {
      send(e.sender!, 'Hello World!');
      e.sender!.close();
    };
    const { client, server } = peers(c, s);
    openLink(client, server, 'examples', true);
    assert.deepEqual(c.seen(), [
      'connection_opened',
      'session_opened',
      'link_opened',
      'sendable',
      'accepted',
      'settled',
      'link_closed',
    ]);
    assert.deepEqual(s.seen(), [
      'connection_opening',
      'session_opening',
      'link_opening',
      'connection_opened',
      'session_opened',
      'link_opened',
      'message:Hello World!',
      'link_closing',
      'link_closed',
    ]);
    c.log.length = 0;
    s.log.length = 0;
    client.connection.close();
    run(client, server);
    assert.deepEqual(c.seen(), ['connection_closed']);
    assert.deepEqual(s.seen(), ['connection_closing', 'connection_closed'], 'no disconnected: closed here');
  });

  it("the user's method runs before the children: onDelivery before the message is read", () => {
    const order: string[] = [];
    class App extends MessagingHandler {
      onDelivery(e: Event) {
        order.push(`delivery readable=${e.delivery?.readable}`);
      }
      override onMessage(e: Event) {
        order.push(`message ${String(e.message?.body)}`);
      }
    }
    const { client, server } = peers(new App(), new Recorder());
    openLink(client, server, 'q', false);
    send(linkNamed<Sender>(server, 'q', true), 'a');
    run(client, server);
    assert.deepEqual(order.slice(0, 2), ['delivery readable=true', 'message a']);
  });

  it('prefetch 1: the credit of a message read in onMessage is granted again at once (Proton 0.37 stalls)', () => {
    const got: string[] = [];
    class App extends MessagingHandler {
      override onMessage(e: Event) {
        got.push(String(e.message?.body));
      }
    }
    const { client, server } = peers(new App({ prefetch: 1 }), new Recorder());
    const receiver = openLink(client, server, 'q', false) as Receiver;
    const sender = linkNamed<Sender>(server, 'q', true);
    assert.equal(sender.credit, 1);
    for (const body of ['a', 'b', 'c']) {
      send(sender, body);
      run(client, server);
      assert.equal(sender.credit, 1, `credit back after ${body}`);
    }
    assert.deepEqual(got, ['a', 'b', 'c']);
    assert.equal(receiver.credit, 1);
  });

  it('... and onLinkFlow before onSendable', () => {
    const order: string[] = [];
    class App extends MessagingHandler {
      onLinkFlow(e: Event) {
        order.push(`flow ${e.sender?.credit}`);
      }
      override onSendable(e: Event) {
        order.push(`sendable ${e.sender?.credit}`);
      }
    }
    const { client, server } = peers(new App(), new Recorder());
    openLink(client, server, 'out', true);
    assert.deepEqual(order, ['flow 10', 'sendable 10']);
  });

  it('onUnhandled gets every engine event it has no method for, those the children handle included', () => {
    const c = new Recorder();
    c.recordUnhandled = true;
    const { client, server } = peers(c, new Recorder());
    const link = openLink(client, server, 'l', false);
    send(linkNamed<Sender>(server, 'l', true), 'x');
    run(client, server);
    (link as Receiver).close();
    run(client, server);
    fire(c, 'reactor_init', undefined);
    const unhandled = c.log.filter((x) => x.startsWith('unhandled:')).map((x) => x.slice(10));
    const engine = ['onConnectionInit', 'onConnectionLocalOpen', 'onConnectionRemoteOpen', 'onLinkLocalOpen'];
    for (const m of [...engine, 'onDelivery', 'onTransport', 'onLinkLocalClose', 'onLinkRemoteClose']) {
      assert.ok(unhandled.includes(m), m);
    }
    for (const m of ['onReactorInit', 'onMessage', 'onLinkClosed', 'onStart'])
      assert.ok(!unhandled.includes(m), m);
  });

  it('the children never receive the high-level events', () => {
    const spy: string[] = [];
    const { c, client, server } = setup();
    c.add({ onUnhandled: (_m: string, e: Event) => spy.push(e.type) });
    send(linkNamed<Sender>(server, 'l', true), 'x');
    run(client, server);
    client.connection.close();
    run(client, server);
    assert.ok(c.log.includes('message:x') && c.log.includes('connection_closed'));
    const high = new Set<string>(CALLBACKS.filter((t) => t !== 'transport_error'));
    assert.deepEqual(
      spy.filter((t) => high.has(t)),
      [],
    );
    assert.ok(spy.includes('delivery') && spy.includes('connection_remote_close'));
  });
});

describe('MessagingHandler: errors', () => {
  it('onTransportError logs; a fatal condition closes the connection', () => {
    const { logger, lines } = capture();
    const { client } = setup({ logger });
    const c = client.handler as Recorder;
    client.transport.condition = new Condition('amqp:resource-limit-exceeded', 'too big');
    fire(c, 'transport_error', client.transport);
    assert.deepEqual(lines, ['amqp:resource-limit-exceeded: too big']);
    assert.equal(client.connection.localState, State.LOCAL_ACTIVE, 'not fatal');
    client.transport.condition = new Condition(
      'amqp:unauthorized-access',
      'bad creds',
      new Map([['k', 'v']]),
    );
    fire(c, 'transport_error', client.transport);
    assert.equal(lines[1], 'amqp:unauthorized-access: bad creds: {k=v}');
    assert.equal(client.connection.localState, State.LOCAL_CLOSED, 'fatal: closed');
    client.transport.condition = undefined;
    fire(c, 'transport_error', client.transport);
    assert.equal(lines[2], 'Unspecified transport error');
  });

  it('fatalConditions may be changed per handler', () => {
    const { client } = setup();
    const c = client.handler as Recorder;
    client.transport.closeTail();
    // The condition of a lost connection (amqp:connection:framing-error, as Proton's) made fatal here.
    c.fatalConditions.push(client.transport.condition!.name);
    dispatchAll(client);
    assert.equal(client.connection.localState, State.LOCAL_CLOSED);
  });

  for (const kind of ['session', 'link'] as const) {
    it(`on${kind === 'link' ? 'Link' : 'Session'}Error logs and closes the connection`, () => {
      const { logger, lines } = capture();
      const { c, client, server } = setup({ logger });
      const ep = kind === 'link' ? linkNamed<Sender>(server, 'l', true) : server.connection.sessions[0]!;
      ep.close(new Condition('amqp:not-found', `no ${kind}`));
      run(client, server);
      assert.deepEqual(lines, [`no ${kind}`]);
      assert.deepEqual(c.seen(), [`${kind}_error`, `${kind}_closed`, 'connection_closed']);
      assert.equal(client.connection.state, State.LOCAL_CLOSED | State.REMOTE_CLOSED);
    });
  }

  it('onConnectionError logs; the connection is closed in answer', () => {
    const { logger, lines } = capture();
    const { c, client, server } = setup({ logger });
    server.connection.close(new Condition('amqp:internal-error'));
    run(client, server);
    assert.deepEqual(lines, ['amqp:internal-error']);
    assert.deepEqual(c.seen(), ['connection_error', 'connection_closed']);
  });

  it('peerCloseIsError: a plain peer close of a link is an error (logged, connection closed)', () => {
    const { logger, lines } = capture();
    const { c, client, server } = setup({ logger, peerCloseIsError: true });
    linkNamed<Sender>(server, 'l', true).close();
    run(client, server);
    assert.deepEqual(lines, ['link closed by peer']);
    assert.deepEqual(c.seen(), ['link_error', 'link_closed', 'connection_closed']);
  });

  it('without peerCloseIsError the same close is closing, closed', () => {
    const { c, client, server } = setup();
    linkNamed<Sender>(server, 'l', true).close();
    run(client, server);
    assert.deepEqual(c.seen(), ['link_closing', 'link_closed']);
    assert.equal(client.connection.localState, State.LOCAL_ACTIVE);
  });
});

describe('MessagingHandler: options', () => {
  const bad: [unknown, string][] = [
    [{ prefetch: -1 }, 'prefetch'],
    [{ prefetch: 2.5 }, 'prefetch'],
    [{ prefetch: '10' }, 'prefetch'],
    [{ autoAccept: 'true' }, 'autoAccept'],
    [{ autoSettle: 0 }, 'autoSettle'],
    [{ peerCloseIsError: null }, 'peerCloseIsError'],
    [{ logger: {} }, 'logger'],
    [{ auto_accept: false }, 'auto_accept'],
    [{ window: 5 }, 'window'],
    [42, 'options'],
    [null, 'options'],
  ];
  for (const [options, option] of bad) {
    it(`refuses ${JSON.stringify(options)}, naming '${option}'`, () => {
      assert.throws(
        () => new MessagingHandler(options as MessagingHandlerOptions),
        (e: unknown) =>
          e instanceof InvalidOptionError && e.option === option && e.message.includes(`'${option}'`),
      );
    });
  }

  it('takes undefined values as the defaults', () => {
    const h = new MessagingHandler({ prefetch: undefined, autoAccept: undefined, logger: undefined });
    assert.deepEqual([h.prefetch, h.autoAccept], [10, true]);
  });
});
