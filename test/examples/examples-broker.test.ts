/**
 * Our port of broker.py (examples/broker.ts, a MessagingHandler with queues) as the broker of the other
 * examples, ours and Proton's Python ones, and abstract_server (a subclass of proton_server.ts's
 * Server) answering clients through it. Each test starts its own broker on a free port.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  assertOk,
  freePort,
  killAll,
  RESPONSES,
  run,
  type Started,
  sequence,
  start,
  stop,
  waitForPort,
} from '../support/examples-runner.js';
import { requireProton } from '../support/proton-python.js';

after(() => killAll());

/** Starts ts:broker on a free port; its host:port. */
async function startBroker(): Promise<{ broker: Started; hostPort: string }> {
  const port = await freePort();
  const broker = start('ts:broker', ['-a', `127.0.0.1:${port}`], { timeoutMs: 60_000 });
  await waitForPort(port);
  return { broker, hostPort: `127.0.0.1:${port}` };
}

describe('ts:broker serving the examples', { concurrency: true }, () => {
  test('ts:broker --help, and a bad option', async () => {
    const help = await run('ts:broker', ['--help']);
    assert.equal(help.code, 0);
    assert.match(
      help.stdout,
      /-a ADDRESS, --address=ADDRESS\n\s+address router listens on \(default\n?\s*localhost:5672\)/,
    );
    const bad = await run('ts:broker', ['--verbose']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /broker\.js: error: no such option: --verbose/);
  });

  for (const [sender, receiver, needsProton] of [
    ['ts:simple_send', 'ts:simple_recv', false],
    ['py:simple_send', 'py:simple_recv', true],
    ['py:simple_send', 'ts:simple_recv', true],
  ] as const) {
    test(`${sender} then ${receiver}`, async (t) => {
      if (needsProton && !requireProton(t)) return;
      const { broker, hostPort } = await startBroker();
      const q = `${hostPort}/examples`;
      assertOk(await run(sender, ['-a', q, '-m', '10']), ['all messages confirmed'], sender);
      assertOk(await run(receiver, ['-a', q, '-m', '10']), sequence(10), receiver);
      const b = await stop(broker);
      assertOk(b, [], 'broker');
    });
  }

  for (const [server, client, needsProton] of [
    ['ts:abstract_server', 'ts:client', false],
    ['ts:abstract_server', 'py:client', true],
    ['py:abstract_server', 'ts:client', true],
    ['py:server', 'ts:client', true],
  ] as const) {
    test(`${client} with ${server}`, async (t) => {
      if (needsProton && !requireProton(t)) return;
      const { broker, hostPort } = await startBroker();
      const q = `${hostPort}/requests`;
      // Proton's abstract_server takes no options: its broker address and node are replaced in its text.
      const s =
        server === 'py:abstract_server' ? start(server, [], { retarget: q }) : start(server, ['-a', q]);
      // The client's requests wait on the queue until the server's receiver comes.
      assertOk(await run(client, ['-a', q]), RESPONSES, client);
      const out = await stop(s);
      if (server.endsWith('abstract_server')) {
        assert.equal(out.lines.length, RESPONSES.length, out.stdout);
        // Every request came from the client's one reply queue, a UUID the broker made.
        assert.equal(new Set(out.lines).size, 1, out.stdout);
        assert.match(
          out.lines[0] ?? '',
          /^Request from: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        );
      }
      await stop(broker);
    });
  }
});
