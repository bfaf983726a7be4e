/**
 * SEND (bench contract) on the promise API: `connect()`, `openSender()`, then `--count` messages of a
 * `--size`-byte data body with message-id the sequence number (a ulong), each built lazily by a
 * generator and encoded afresh when the sender hands it to the engine. `sendMany` keeps up to
 * `maxInFlight` sends unsettled at once (the receiver's default credit), so this measures pipelined
 * sending, not one round trip per message. Unsettled: resolves once every message has an outcome, then
 * closes. `--presettled`: at-most-once, the sends resolve as they are handed to the engine and the close
 * frame goes out behind them. Prints the same JSON line as send.ts.
 */
import { Accepted, AtMostOnce, connect, Message } from '../src/index.js';
import { exitSoon, nowNs, parsePeerArgs, printJson } from './peer-args.js';

const o = parsePeerArgs();
const payload = Buffer.alloc(o.size, 'x');
/** As many unsettled as the contract receiver's default credit: more would only wait for credit. */
const IN_FLIGHT = 1000;

function* messages(count: number): Generator<Message> {
  for (let i = 0; i < count; i++) {
    const m = new Message();
    m.id = i;
    m.body = payload;
    m.bodyKind = 'data';
    yield m;
  }
}

let sent = 0;
let acked = 0;
let seconds = 0;
let ok = false;
try {
  const conn = await connect(`${o.host}:${o.port}`, { timeout: 30_000 });
  const sender = await conn.openSender(o.address, {
    maxInFlight: IN_FLIGHT,
    ...(o.presettled ? { options: new AtMostOnce() } : {}),
  });
  const t0 = nowNs();
  // No time limit on the sends themselves: a large run may take longer than the open's 30 s.
  const outcomes = await sender.sendMany(messages(o.count), { timeout: 0 });
  seconds = Number(nowNs() - t0) / 1e9;
  sent = outcomes.length;
  for (const x of outcomes) if (x instanceof Accepted) acked++;
  await conn.close();
  ok = sent === o.count && (o.presettled || acked === o.count);
} catch (e) {
  process.stderr.write(`send-promise: ${e instanceof Error ? e.message : String(e)}\n`);
}
printJson({ sent, acked, seconds, max_rss_kb: process.resourceUsage().maxRSS });
exitSoon(ok ? 0 : 1, 100);
