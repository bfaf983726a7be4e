/**
 * The interop matrix against Debian's Proton Python 0.37: its example broker (broker.py, run by
 * peers/proton-python.sh), its example clients and direct listeners (simple_send.py, direct_recv.py...),
 * the outcome fixtures of test/fixtures/proton/ and python/typed_peer.py (typed messages both ways).
 *
 * Its limits, as the broker example has them: SASL ANONYMOUS only, no TLS option.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, type TestContext, test } from 'node:test';
import { Modified, Rejected, type SymbolKeyedMap } from '../../src/codec/composite-types.js';
import { AmqpSymbol } from '../../src/codec/types.js';
import { modifiedOutcome } from '../../src/handlers/acking.js';
import { Message } from '../../src/message/message.js';
import { isListening, Scope, sleep, within } from '../support/container-harness.js';
import { protonScriptPath } from '../support/proton-python.js';
import { listen, outcomeName, receiveAll, ScenarioHandler, sendAll } from './support/clients.js';
import { commandFails, freePort, interopPath, PeerProcess, requirePeer, usePeer } from './support/peer.js';
import {
  assertSequence,
  bigBody,
  countAndBigThroughTests,
  quietThenSend,
  reconnectThrough,
  sequenceCollector,
  sequenceMessages,
  sha256,
  typesThrough,
} from './support/scenarios.js';
import { assertSameDump, dumpOf, messageOf, type TypedDump, typedDumps } from './support/typed-message.js';

const PYTHON = '/usr/bin/python3';
const EXAMPLES = '/usr/share/proton/examples/python';
const P = 'proton-python';
const TS_TO_PY = '(proton-ts → proton-python)';
const PY_TO_TS = '(proton-python → proton-ts)';
const THROUGH = '(proton-ts → proton-python broker → proton-ts)';

/** Why Proton Python cannot run here, if it cannot. */
const pythonMissing = (): string | undefined =>
  commandFails(PYTHON, ['-c', 'import proton'], 'apt-get install -y python3-qpid-proton') ??
  (existsSync(`${EXAMPLES}/direct_recv.py`) ? undefined : 'apt-get install -y libqpid-proton11-dev-examples');

/** A Proton Python program as a peer, killed when the test ends. */
function py(scope: Scope, script: string, args: string[], input?: string): PeerProcess {
  const path = script.includes('/') ? script : `${EXAMPLES}/${script}`;
  return scope.add(new PeerProcess(PYTHON, ['-u', path, ...args], { input }));
}

const TYPED_PEER = interopPath('python/typed_peer.py');

/** The JSON lines a Python peer printed, parsed. */
const jsonLines = (p: PeerProcess): Record<string, unknown>[] =>
  p.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('proton-python broker', () => {
  const peer = usePeer({
    name: P,
    script: 'proton-python.sh',
    env: async () => ({ PEER_PORT: String(await freePort()) }),
    startTimeoutMs: 20_000,
    missing: pythonMissing,
  });
  const url = () => `127.0.0.1:${peer.env.PEER_PORT}`;

  test(`${P} › types ${THROUGH}`, async (t) => {
    if (!peer.require(t)) return;
    await typesThrough(new Scope(t), url(), 'types-through');
  });

  test(`${P} › types ${TS_TO_PY}`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    const dumps = typedDumps();
    const sent = await sendAll(scope, {
      url: url(),
      address: 'types-to-py',
      messages: dumps.map((d, i) => messageOf(d, { id: i })),
    });
    assert.deepEqual(sent.outcomes.map(outcomeName), ['accepted', 'accepted', 'accepted']);
    const recv = py(scope, TYPED_PEER, ['recv', `${url()}/types-to-py`, String(dumps.length)]);
    assert.equal(await recv.exit(20_000), 0, recv.stderr);
    const got = jsonLines(recv);
    assert.equal(got.length, dumps.length, recv.lines.join('\n'));
    got.forEach((g, i) => {
      assert.deepEqual(g.id, { t: 'ulong', v: String(i) }, 'Proton reads our message-id');
      assertSameDump(
        g.dump as TypedDump,
        dumps[i]!,
        `Proton's view of message ${i} (${dumps[i]!.body_kind})`,
      );
    });
  });

  test(`${P} › types ${PY_TO_TS}`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    const dumps = typedDumps();
    const send = py(scope, TYPED_PEER, ['send', `${url()}/types-from-py`], JSON.stringify(dumps));
    assert.equal(await send.exit(20_000), 0, send.stderr);
    assert.deepEqual(
      jsonLines(send).map((l) => l.outcome),
      ['ACCEPTED', 'ACCEPTED', 'ACCEPTED'],
    );
    const got = await receiveAll(scope, { url: url(), address: 'types-from-py', count: dumps.length });
    got.messages.forEach((m, i) => {
      assert.equal(m.id, i, "Proton's message-id (an int: Proton sends ulong)");
      assertSameDump(dumpOf(m), dumps[i]!, `our view of Proton's message ${i} (${dumps[i]!.body_kind})`);
    });
  });

  countAndBigThroughTests(P, THROUGH, peer, url);

  test(`${P} › sasl-anonymous ${TS_TO_PY}`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    const r = await sendAll(scope, {
      url: url(),
      address: 'anon',
      messages: [new Message({ body: 'anonymous' })],
      connect: { allowedMechs: 'ANONYMOUS' },
    });
    assert.equal(outcomeName(r.outcomes[0]), 'accepted');
    assert.equal(r.handler.opened?.saslMechanism, 'ANONYMOUS');
  });

  test(`${P} › sasl-plain ${TS_TO_PY} [limit: the example broker offers ANONYMOUS only]`, async (t) => {
    if (!peer.require(t)) return;
    const scope = new Scope(t);
    const r = await sendAll(scope, {
      url: url(),
      address: 'plain',
      messages: [new Message({ body: 'x' })],
      connect: { user: 'alice', password: 'secret', allowedMechs: 'PLAIN', allowInsecureMechs: true },
    });
    // No mechanism in common: we end the connection with a clear condition, and no message goes.
    assert.equal(outcomeName(r.outcomes[0]), 'none');
    assert.ok(r.errors.length > 0, 'an error was reported');
    assert.match(r.errors[0]!.condition ?? '', /amqp:unauthorized-access/);
    assert.match(r.errors[0]!.description ?? '', /ANONYMOUS|mechanism/i);
  });

  test(`${P} › idle-timeout ${TS_TO_PY}`, async (t) => {
    if (!peer.require(t)) return;
    const remote = await quietThenSend(new Scope(t), url(), 'idle', 1000);
    assert.equal(remote, 0, 'the example broker advertises no idle timeout');
  });

  test(`${P} › reconnect ${THROUGH}`, async (t) => {
    if (!peer.require(t)) return;
    const r = await reconnectThrough(
      new Scope(t),
      url(),
      'bounce',
      () => peer.stop(),
      () => peer.start(),
    );
    t.diagnostic(
      `duplicates ${r.duplicates}, reconnects: sender ${r.senderDisconnects}, receiver ${r.receiverDisconnects}`,
    );
  });
});

/** Proton Python's clients and listeners against proton-ts directly (no broker). */
describe('proton-python clients and listeners', () => {
  const ready = (t: TestContext) => requirePeer(t, pythonMissing());

  test(`${P} › types ${TS_TO_PY} (direct: typed_peer.py listens)`, async (t) => {
    if (!ready(t)) return;
    const scope = new Scope(t);
    const port = await freePort();
    const dumps = typedDumps();
    const recv = py(scope, TYPED_PEER, [
      'recv',
      '--listen',
      `127.0.0.1:${port}/direct`,
      String(dumps.length),
    ]);
    await recv.waitForLine(/listening/, 10_000);
    const sent = await sendAll(scope, {
      url: `127.0.0.1:${port}`,
      address: 'direct',
      messages: dumps.map((d, i) => messageOf(d, { id: i })),
    });
    assert.deepEqual(sent.outcomes.map(outcomeName), ['accepted', 'accepted', 'accepted']);
    assert.equal(await recv.exit(10_000), 0, recv.stderr);
    const got = jsonLines(recv).filter((l) => 'dump' in l);
    for (const [i, g] of got.entries())
      assertSameDump(g.dump as TypedDump, dumps[i]!, `Proton's view of message ${i}`);
    assert.equal(got.length, dumps.length);
  });

  test(`${P} › 10k-at-least-once ${TS_TO_PY} (direct_recv.py)`, async (t) => {
    if (!ready(t)) return;
    const scope = new Scope(t);
    const port = await freePort();
    const recv = py(scope, 'direct_recv.py', ['-a', `127.0.0.1:${port}/examples`, '-m', '10000']);
    await waitListening(port);
    const sent = await sendAll(scope, {
      url: `127.0.0.1:${port}`,
      address: 'examples',
      messages: sequenceMessages(10_000, 1),
      timeoutMs: 60_000,
    });
    assert.equal(await recv.exit(20_000), 0, recv.stderr);
    assert.equal(sent.outcomes.filter((o) => outcomeName(o) === 'accepted').length, 10_000);
    // direct_recv.py prints each body, as Python sees it: a dict of a str and an int.
    const printed = recv.lines.filter((l) => l.startsWith('{'));
    assertSequence(
      printed.map((l) => Number(/^\{'sequence': (\d+)\}$/.exec(l)?.[1] ?? Number.NaN)),
      10_000,
      1,
    );
  });

  test(`${P} › 10k-at-least-once ${PY_TO_TS} (simple_send.py)`, async (t) => {
    if (!ready(t)) return;
    const scope = new Scope(t);
    const { handler: h, got } = sequenceCollector();
    const l = await listen(scope, h);
    const send = py(scope, 'simple_send.py', ['-a', `127.0.0.1:${l.port}/examples`, '-m', '10000']);
    assert.equal(await send.exit(60_000), 0, send.stderr);
    assert.ok(send.lines.includes('all messages confirmed'), send.lines.join('\n'));
    assertSequence(got, 10_000, 1);
    l.acceptor.close();
  });

  for (const [name, size] of [
    ['1MiB', 1 << 20],
    ['16MiB', 16 << 20],
  ] as const) {
    test(`${P} › ${name} ${TS_TO_PY} (outcome_receiver.py asks for 64 KiB frames)`, async (t) => {
      if (!ready(t)) return;
      const scope = new Scope(t);
      const port = await freePort();
      const recv = py(scope, protonScriptPath('outcome_receiver.py'), [String(port), '1', '65536']);
      await waitListening(port);
      const body = bigBody(size, 7);
      const m = new Message({ body, bodyKind: 'data', properties: { outcome: 'accept', index: 0 } });
      const sent = await sendAll(scope, {
        url: `127.0.0.1:${port}`,
        address: 'big',
        messages: [m],
        timeoutMs: 60_000,
      });
      assert.equal(outcomeName(sent.outcomes[0]), 'accepted');
      assert.equal(await recv.exit(20_000), 0, recv.stderr);
      const line = jsonLines(recv)[0] as { body: { sha256: string; size: number } };
      assert.deepEqual(line.body, { sha256: sha256(body), size });
    });
  }

  // Each outcome, both ways: Proton settles our message with it, and we settle Proton's with it.
  const OUTCOMES = [
    ['accept', 'accept', 'ACCEPTED', 'accepted'],
    ['reject', 'reject', 'REJECTED', 'rejected'],
    ['release', 'release', 'RELEASED', 'released'],
    ['modified', 'modify-undeliverable', 'MODIFIED', 'modified'],
  ] as const;
  for (const [scenario, arg, state, ours] of OUTCOMES) {
    test(`${P} › ${scenario} ${TS_TO_PY} (outcome_receiver.py)`, async (t) => {
      if (!ready(t)) return;
      const scope = new Scope(t);
      const port = await freePort();
      const recv = py(scope, protonScriptPath('outcome_receiver.py'), [String(port), '1']);
      await waitListening(port);
      const m = new Message({ body: 'judge me', properties: { outcome: arg, index: 5 } });
      const sent = await sendAll(scope, { url: `127.0.0.1:${port}`, address: 'outcomes', messages: [m] });
      assert.equal(await recv.exit(10_000), 0, recv.stderr);
      const o = sent.outcomes[0];
      assert.equal(outcomeName(o), ours);
      if (o instanceof Rejected) {
        assert.equal(o.error?.condition, 'amqp:precondition-failed');
        assert.equal(o.error?.description, 'rejected by outcome_receiver.py');
        assert.equal(entry(o.error?.info, 'index'), 5);
      }
      if (o instanceof Modified) {
        assert.equal(o.undeliverableHere, true);
        assert.equal(entry(o.messageAnnotations, 'x-opt-reason'), 'test');
      }
    });

    test(`${P} › ${scenario} ${PY_TO_TS} (outcome_sender.py)`, async (t) => {
      if (!ready(t)) return;
      const scope = new Scope(t);
      const h = new ScenarioHandler({ autoAccept: false });
      h.hooks = {
        onMessage(e) {
          const d = e.delivery!;
          if (scenario === 'accept') h.accept(d);
          else if (scenario === 'reject') h.reject(d, { name: 'amqp:not-allowed', description: 'no thanks' });
          else if (scenario === 'release') h.release(d, false);
          else h.settle(d, modifiedOutcome(true, true));
        },
      };
      const l = await listen(scope, h);
      const send = py(scope, protonScriptPath('outcome_sender.py'), [`127.0.0.1:${l.port}/outcomes`, arg]);
      assert.equal(await send.exit(10_000), 0, send.stderr);
      const [r] = jsonLines(send) as {
        state: string;
        condition: { name: string; description: string } | null;
        failed: boolean;
        undeliverable: boolean;
      }[];
      assert.equal(r?.state, state, send.lines.join('\n'));
      if (scenario === 'reject')
        assert.deepEqual(r?.condition && { ...r.condition, info: undefined }, {
          name: 'amqp:not-allowed',
          description: 'no thanks',
          info: undefined,
        });
      if (scenario === 'modified') {
        assert.equal(r?.failed, true);
        assert.equal(r?.undeliverable, true);
      }
      l.acceptor.close();
    });
  }
});

describe('proton-python clients against a proton-ts listener: SASL and idle timeout', () => {
  const ready = (t: TestContext) => requirePeer(t, pythonMissing());
  const ONE: TypedDump[] = [
    { properties: null, annotations: null, body: { t: 'string', v: 'hi' }, body_kind: 'value' },
  ];
  const plainServer = (checked: string[]) => ({
    sasl: {
      mechanisms: ['PLAIN'],
      allowInsecureMechs: true,
      authenticate: (user: string, password: string) => {
        checked.push(`${user}:${password}`);
        return user === 'alice' && password === 'secret';
      },
    },
  });

  test(`${P} › sasl-anonymous ${PY_TO_TS}`, async (t) => {
    if (!ready(t)) return;
    const scope = new Scope(t);
    const l = await listen(scope, new ScenarioHandler());
    const send = py(scope, TYPED_PEER, ['send', `127.0.0.1:${l.port}/q`], JSON.stringify(ONE));
    assert.equal(await send.exit(10_000), 0, send.stderr);
    assert.deepEqual(jsonLines(send), [{ index: 0, outcome: 'ACCEPTED' }]);
    assert.equal(l.handler.opened?.saslMechanism, 'ANONYMOUS');
    l.acceptor.close();
  });

  test(`${P} › sasl-plain ${PY_TO_TS}`, async (t) => {
    if (!ready(t)) return;
    const scope = new Scope(t);
    const checked: string[] = [];
    const l = await listen(scope, new ScenarioHandler(), plainServer(checked));
    const send = py(scope, TYPED_PEER, ['send', `alice:secret@127.0.0.1:${l.port}/q`], JSON.stringify(ONE));
    assert.equal(await send.exit(10_000), 0, send.stderr);
    assert.deepEqual(jsonLines(send), [{ index: 0, outcome: 'ACCEPTED' }]);
    assert.deepEqual(checked, ['alice:secret']);
    assert.equal(l.handler.opened?.saslMechanism, 'PLAIN');
    assert.equal(l.handler.opened?.saslUser, 'alice');
    l.acceptor.close();
  });

  test(`${P} › bad-password ${PY_TO_TS}`, async (t) => {
    if (!ready(t)) return;
    const scope = new Scope(t);
    const checked: string[] = [];
    const h = new ScenarioHandler();
    const l = await listen(scope, h, plainServer(checked));
    const send = py(scope, TYPED_PEER, ['send', `alice:wrong@127.0.0.1:${l.port}/q`], JSON.stringify(ONE));
    assert.equal(await send.exit(10_000), 1, 'typed_peer.py reports the failure');
    const [err] = jsonLines(send);
    assert.equal(err?.condition, 'amqp:unauthorized-access', send.lines.join('\n'));
    assert.deepEqual(checked, ['alice:wrong']);
    assert.equal(h.count('onMessage'), 0);
    l.acceptor.close();
  });

  test(`${P} › idle-timeout ${PY_TO_TS} (outcome_sender.py, 1 s timeout, quiet 3.5 s)`, async (t) => {
    if (!ready(t)) return;
    const scope = new Scope(t);
    const h = new ScenarioHandler();
    const l = await listen(scope, h);
    const send = py(scope, protonScriptPath('outcome_sender.py'), [
      '--heartbeat=1',
      '--delay=3.5',
      `127.0.0.1:${l.port}/idle`,
      'accept',
    ]);
    assert.equal(await send.exit(15_000), 0, send.stderr);
    assert.equal((jsonLines(send)[0] as { state?: string } | undefined)?.state, 'ACCEPTED', send.stderr);
    // Proton advertises half its timeout; we kept its connection alive with our heartbeats.
    assert.equal(h.opened?.remoteIdleTimeout, 500);
    assert.deepEqual(h.errors, []);
    l.acceptor.close();
  });
});

/** Waits until a listener answers on 127.0.0.1:`port`. */
async function waitListening(port: number): Promise<void> {
  await within(
    10_000,
    `a listener on ${port}`,
    (async () => {
      while (!(await isListening(port))) await sleep(20);
    })(),
  );
}

/** The value under the key `name` (a symbol or a string) of an info or annotations map. */
function entry(m: SymbolKeyedMap | undefined, name: string): unknown {
  if (m === undefined) return undefined;
  if (!(m instanceof Map)) return (m as Record<string, unknown>)[name];
  for (const [k, v] of m) if ((k instanceof AmqpSymbol ? k.value : k) === name) return v;
  return undefined;
}
