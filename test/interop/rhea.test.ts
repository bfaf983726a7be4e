/**
 * The interop matrix against rhea 3.0.5 (npm, a dev dependency): rhea as a listener that proton-ts
 * connects to, and as a client of a proton-ts listener, in one process with the test.
 *
 * rhea gives what it receives as plain JavaScript, so the `types` scenario towards rhea compares with
 * rhea's own mapping (support/rhea-typed.ts); from rhea, its typed wrappers send every AMQP type and
 * proton-ts checks each type exactly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Modified, Rejected } from '../../src/codec/composite-types.js';
import { Message } from '../../src/message/message.js';
import { Scope, within } from '../support/container-harness.js';
import { listen, outcomeName, ScenarioHandler, sendAll } from './support/clients.js';
import { plainOfRhea, rhea, rheaMessageOf, rheaView } from './support/rhea-typed.js';
import {
  assertSequence,
  bigBody,
  quietThenSend,
  sequenceCollector,
  sequenceMessages,
  sha256,
} from './support/scenarios.js';
import { assertSameDump, dumpOf, messageOf, typedDumps } from './support/typed-message.js';

const P = 'rhea';
const TS_TO_RHEA = '(proton-ts → rhea)';
const RHEA_TO_TS = '(rhea → proton-ts)';

// biome-ignore lint/suspicious/noExplicitAny: rhea's objects are untyped here
type Any = any;

/** A rhea container listening on a free port, closed when the test ends. */
async function rheaListener(scope: Scope, options: Record<string, unknown> = {}) {
  const container = rhea.create_container({ id: 'rhea-listener' });
  const server = container.listen({ host: '127.0.0.1', port: 0, ...options });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const connections: Any[] = [];
  container.on('connection_open', (ctx: Any) => connections.push(ctx.connection));
  scope.add({
    dispose: () => {
      for (const c of connections) if (c.is_open()) c.close();
      server.close();
    },
  });
  return { container, port: server.address().port as number };
}

/** A rhea client connection to a proton-ts listener, closed when the test ends. */
function rheaClient(scope: Scope, port: number, options: Record<string, unknown> = {}) {
  const container = rhea.create_container({ id: 'rhea-client' });
  const connection = container.connect({ host: '127.0.0.1', port, reconnect: false, ...options });
  scope.add({
    dispose: () => {
      if (connection.is_open()) connection.close();
    },
  });
  return { container, connection };
}

/** Settles when rhea's `event` has fired `count` times on `emitter`. */
function events(emitter: Any, event: string, count: number): Promise<Any[]> {
  const seen: Any[] = [];
  return new Promise((resolve) => {
    emitter.on(event, (ctx: Any) => {
      seen.push(ctx);
      if (seen.length === count) resolve(seen);
    });
  });
}

describe('rhea as a listener (proton-ts connects)', () => {
  test(`${P} › types ${TS_TO_RHEA}`, async (t) => {
    const scope = new Scope(t);
    const { container, port } = await rheaListener(scope);
    const dumps = typedDumps();
    const got = events(container, 'message', dumps.length);
    const sent = await sendAll(scope, {
      url: `127.0.0.1:${port}`,
      address: 'types',
      messages: dumps.map((d, i) => messageOf(d, { id: i })),
    });
    assert.deepEqual(sent.outcomes.map(outcomeName), ['accepted', 'accepted', 'accepted']);
    const msgs = (await within(5000, 'rhea has the messages', got)).map((c) => c.message);
    for (const [i, d] of dumps.entries()) {
      const m = msgs[i];
      assert.equal(m.message_id, i);
      assert.deepEqual(plainOfRhea(m.application_properties), rheaView(d.properties!), `properties of ${i}`);
      assert.deepEqual(plainOfRhea(m.message_annotations), rheaView(d.annotations!), `annotations of ${i}`);
      const body = plainOfRhea(m.body);
      if (d.body_kind === 'value') assert.deepEqual(body, rheaView(d.body!), `value body of ${i}`);
      else {
        const section = d.body_kind === 'data' ? 0x75 : 0x76;
        assert.deepEqual(body, { section, content: rheaView(d.body!) }, `${d.body_kind} body of ${i}`);
      }
    }
  });

  for (const atMostOnce of [false, true]) {
    test(`${P} › 10k-at-${atMostOnce ? 'most' : 'least'}-once ${TS_TO_RHEA}`, async (t) => {
      const scope = new Scope(t);
      const { container, port } = await rheaListener(scope);
      const got = events(container, 'message', 10_000);
      const sent = await sendAll(scope, {
        url: `127.0.0.1:${port}`,
        address: 'count',
        messages: sequenceMessages(10_000),
        atMostOnce,
        timeoutMs: 60_000,
      });
      const ctxs = await within(10_000, 'rhea has all 10,000', got);
      assertSequence(
        ctxs.map((c) => c.message.body.sequence as number),
        10_000,
      );
      // At most once, every transfer came settled; at least once, none did.
      assert.equal(ctxs.filter((c) => c.delivery.remote_settled === true).length, atMostOnce ? 10_000 : 0);
      if (!atMostOnce)
        assert.equal(sent.outcomes.filter((o) => outcomeName(o) === 'accepted').length, 10_000);
    });
  }

  for (const [name, size] of [
    ['1MiB', 1 << 20],
    ['16MiB', 16 << 20],
  ] as const) {
    test(`${P} › ${name} ${TS_TO_RHEA} (rhea asks for 64 KiB frames)`, async (t) => {
      const scope = new Scope(t);
      const { container, port } = await rheaListener(scope, { max_frame_size: 65536 });
      const got = events(container, 'message', 1);
      const body = bigBody(size, 3);
      const m = new Message({ body, bodyKind: 'data' });
      const sent = await sendAll(scope, {
        url: `127.0.0.1:${port}`,
        address: 'big',
        messages: [m],
        timeoutMs: 60_000,
      });
      assert.equal(outcomeName(sent.outcomes[0]), 'accepted');
      const [ctx] = await got;
      const content = ctx.message.body.content as Buffer;
      assert.equal(content.length, size);
      assert.equal(sha256(content), sha256(body));
    });
  }

  const OUTCOMES: [string, (d: Any) => void, string][] = [
    ['accept', (d) => d.accept(), 'accepted'],
    ['reject', (d) => d.reject({ condition: 'amqp:not-allowed', description: 'rhea says no' }), 'rejected'],
    ['release', (d) => d.release(), 'released'],
    ['modified', (d) => d.modified({ delivery_failed: true, undeliverable_here: true }), 'modified'],
  ];
  for (const [scenario, settle, expected] of OUTCOMES) {
    test(`${P} › ${scenario} ${TS_TO_RHEA}`, async (t) => {
      const scope = new Scope(t);
      const { container, port } = await rheaListener(scope, { autoaccept: false });
      container.on('message', (ctx: Any) => settle(ctx.delivery));
      const sent = await sendAll(scope, {
        url: `127.0.0.1:${port}`,
        address: 'outcomes',
        messages: [new Message({ body: 'judge me' })],
        connect: {},
      });
      const o = sent.outcomes[0];
      assert.equal(outcomeName(o), expected);
      if (o instanceof Rejected) {
        assert.equal(o.error?.condition, 'amqp:not-allowed');
        assert.equal(o.error?.description, 'rhea says no');
      }
      if (o instanceof Modified) {
        assert.equal(o.deliveryFailed, true);
        assert.equal(o.undeliverableHere, true);
      }
    });
  }

  test(`${P} › sasl-plain ${TS_TO_RHEA}`, async (t) => {
    const scope = new Scope(t);
    const checked: string[] = [];
    const { container, port } = await rheaListener(scope);
    container.sasl_server_mechanisms.enable_plain((user: string, password: string) => {
      checked.push(`${user}:${password}`);
      return user === 'alice' && password === 'secret';
    });
    const sent = await sendAll(scope, {
      url: `127.0.0.1:${port}`,
      address: 'plain',
      messages: [new Message({ body: 'x' })],
      connect: { user: 'alice', password: 'secret', allowedMechs: 'PLAIN', allowInsecureMechs: true },
    });
    assert.equal(outcomeName(sent.outcomes[0]), 'accepted', JSON.stringify(sent.errors));
    assert.equal(sent.handler.opened?.saslMechanism, 'PLAIN');
    assert.deepEqual(checked, ['alice:secret']);
  });

  test(`${P} › bad-password ${TS_TO_RHEA}`, async (t) => {
    const scope = new Scope(t);
    const { container, port } = await rheaListener(scope);
    const checked: string[] = [];
    container.sasl_server_mechanisms.enable_plain((user: string, password: string) => {
      checked.push(`${user}:${password}`);
      return password === 'secret';
    });
    const sent = await sendAll(scope, {
      url: `127.0.0.1:${port}`,
      address: 'plain',
      messages: [new Message({ body: 'x' })],
      connect: { user: 'alice', password: 'wrong', allowedMechs: 'PLAIN', allowInsecureMechs: true },
    });
    assert.equal(outcomeName(sent.outcomes[0]), 'none');
    assert.deepEqual(
      sent.errors.map((e) => e.condition),
      ['amqp:unauthorized-access'],
    );
    assert.deepEqual(checked, ['alice:wrong'], 'rhea checked the password and refused it');
  });

  test(`${P} › idle-timeout ${TS_TO_RHEA} (rhea relays to itself)`, async (t) => {
    const scope = new Scope(t);
    const { container, port } = await rheaListener(scope, { idle_time_out: 1000 });
    // A one-message relay, so that our sender and receiver share the quiet connection.
    let out: Any;
    container.on('sender_open', (ctx: Any) => {
      out = ctx.sender;
    });
    container.on('message', (ctx: Any) =>
      out?.send({ message_id: ctx.message.message_id, body: ctx.message.body }),
    );
    const remote = await quietThenSend(scope, `127.0.0.1:${port}`, 'idle', 1000);
    assert.equal(remote, 1000, 'rhea advertises the whole of its idle timeout (Proton: half)');
  });
});

describe('rhea as a client (of a proton-ts listener)', () => {
  test(`${P} › types ${RHEA_TO_TS}`, async (t) => {
    const scope = new Scope(t);
    const dumps = typedDumps();
    const got: Message[] = [];
    const h = new ScenarioHandler();
    h.hooks = {
      onMessage(e) {
        got.push(e.message!);
      },
    };
    const l = await listen(scope, h);
    const { connection } = rheaClient(scope, l.port);
    const sender = connection.open_sender('types');
    const accepted = events(sender, 'accepted', dumps.length);
    sender.once('sendable', () => {
      for (const [i, d] of dumps.entries()) sender.send(rheaMessageOf(d, i));
    });
    await within(5000, 'rhea sees every message accepted', accepted);
    for (const [i, m] of got.entries()) {
      assert.equal(m.id, i);
      assertSameDump(dumpOf(m), dumps[i]!, `rhea's message ${i} (${dumps[i]!.body_kind})`);
    }
    assert.equal(got.length, dumps.length);
    l.acceptor.close();
  });

  test(`${P} › 10k-at-least-once ${RHEA_TO_TS}`, async (t) => {
    const scope = new Scope(t);
    const { handler: h, got } = sequenceCollector();
    const l = await listen(scope, h);
    const { connection } = rheaClient(scope, l.port);
    const sender = connection.open_sender('count');
    const accepted = events(sender, 'accepted', 10_000);
    let next = 0;
    sender.on('sendable', () => {
      while (sender.sendable() && next < 10_000) {
        sender.send({ message_id: next, body: { sequence: next } });
        next++;
      }
    });
    await within(60_000, () => `rhea sees 10,000 accepted (${got.length} here)`, accepted);
    assertSequence(got, 10_000);
    l.acceptor.close();
  });

  test(`${P} › 16MiB ${RHEA_TO_TS} (we ask for 64 KiB frames)`, async (t) => {
    const scope = new Scope(t);
    let got: Message | undefined;
    const h = new ScenarioHandler();
    h.hooks = {
      onMessage(e) {
        got = e.message;
      },
    };
    const l = await listen(scope, h, { maxFrameSize: 65536 });
    const { connection } = rheaClient(scope, l.port);
    const sender = connection.open_sender('big');
    const body = bigBody(16 << 20, 9);
    const accepted = events(sender, 'accepted', 1);
    sender.once('sendable', () => sender.send({ body: rhea.message.data_section(body) }));
    await within(60_000, 'rhea sees it accepted', accepted);
    assert.equal(sha256(got!.body as Uint8Array), sha256(body));
    l.acceptor.close();
  });

  test(`${P} › sasl-anonymous ${RHEA_TO_TS}`, async (t) => {
    const scope = new Scope(t);
    const h = new ScenarioHandler();
    const l = await listen(scope, h);
    // rhea does SASL only when given a user; a user without a password is ANONYMOUS.
    const { connection } = rheaClient(scope, l.port, { username: 'anonymous' });
    const sender = connection.open_sender('anon');
    const accepted = events(sender, 'accepted', 1);
    sender.once('sendable', () => sender.send({ body: 'anonymous' }));
    await within(5000, 'accepted', accepted);
    assert.equal(h.opened?.saslMechanism, 'ANONYMOUS');
    l.acceptor.close();
  });

  test(`${P} › sasl-plain ${RHEA_TO_TS}`, async (t) => {
    const scope = new Scope(t);
    const h = new ScenarioHandler();
    const checked: string[] = [];
    const l = await listen(scope, h, {
      sasl: {
        mechanisms: ['PLAIN'],
        allowInsecureMechs: true,
        authenticate: (user, password) => {
          checked.push(`${user}:${password}`);
          return password === 'secret';
        },
      },
    });
    const { connection } = rheaClient(scope, l.port, { username: 'alice', password: 'secret' });
    const sender = connection.open_sender('plain');
    const accepted = events(sender, 'accepted', 1);
    sender.once('sendable', () => sender.send({ body: 'plain' }));
    await within(5000, 'accepted', accepted);
    assert.equal(h.opened?.saslMechanism, 'PLAIN');
    assert.equal(h.opened?.saslUser, 'alice');
    assert.deepEqual(checked, ['alice:secret']);
    l.acceptor.close();
  });
});
