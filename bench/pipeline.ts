/**
 * The promise API's two ways of sending, through the embedded broker over loopback (both in this
 * process): awaiting each send's outcome before the next, and pipelining (sendMany, up to `maxInFlight`
 * unsettled at once), in messages per second. Then a receive loop (`for await`) draining the queue.
 *
 *   node dist/bench/pipeline.js [--count N] [--in-flight N]
 */
import { Broker } from '../src/broker/index.js';
import { Container, connect, Message } from '../src/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const COUNT = arg('--count', 20_000);
const IN_FLIGHT = arg('--in-flight', 500);
const AWAIT_EACH = Math.min(COUNT, arg('--await-count', 5_000));

// The queue holds every pipelined message until the receive loop: no depth limit may stall the senders.
const container = new Container(new Broker({ maxQueueDepth: COUNT }), { containerId: 'bench-broker' });
const acceptor = await container.listen('127.0.0.1:0');
const running = container.run();
const conn = await connect(`127.0.0.1:${acceptor.port}`);

const body = 'x'.repeat(100);
const rate = (n: number, ms: number): string =>
  `${Math.round((n * 1000) / ms).toLocaleString('en-US')} msg/s`;

// Await each: one round trip per message.
{
  const s = await conn.openSender('bench-await');
  const t0 = performance.now();
  for (let i = 0; i < AWAIT_EACH; i++) await s.send(new Message({ body }));
  const ms = performance.now() - t0;
  console.log(`await each      ${AWAIT_EACH} messages  ${ms.toFixed(0)} ms  ${rate(AWAIT_EACH, ms)}`);
  await s.close();
}

// Pipelined: sendMany keeps IN_FLIGHT unsettled.
{
  const s = await conn.openSender('bench-pipelined', { maxInFlight: IN_FLIGHT });
  const messages = Array.from({ length: COUNT }, () => new Message({ body }));
  const t0 = performance.now();
  await s.sendMany(messages);
  const ms = performance.now() - t0;
  console.log(`pipelined (${IN_FLIGHT})  ${COUNT} messages  ${ms.toFixed(0)} ms  ${rate(COUNT, ms)}`);
  await s.close();
}

// Receiving what was pipelined, with for await and accept.
{
  const r = await conn.openReceiver('bench-pipelined', { credit: 500 });
  const t0 = performance.now();
  let n = 0;
  for await (const d of r) {
    d.accept();
    if (++n === COUNT) break;
  }
  const ms = performance.now() - t0;
  console.log(`for await recv  ${COUNT} messages  ${ms.toFixed(0)} ms  ${rate(COUNT, ms)}`);
  await r.close();
}

await conn.close();
container.stop();
await running;
