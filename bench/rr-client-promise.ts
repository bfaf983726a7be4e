/**
 * RR_CLIENT (bench contract) on the promise API: `connect()`, a sender and a receiver (credit 10) on the
 * contract's address, then `--warmup` unrecorded and `--count` recorded round trips, one request
 * outstanding at a time. A round trip runs from just before the request is built to the moment
 * `receive()` resolves with the decoded reply. The request's outcome is not awaited inside the round
 * trip (rr-client.ts does not wait for it either); every outcome is checked before closing. Prints the
 * contract's latency summary, as rr-client.ts does.
 */
import { connect, Message } from '../src/index.js';
import { exitSoon, nowNs, parsePeerArgs, printJson, summarize } from './peer-args.js';

const o = parsePeerArgs();
const payload = Buffer.alloc(o.size, 'x');
const total = o.count + o.warmup;
const samples = new Float64Array(o.count);

let ok = false;
try {
  const conn = await connect(`${o.host}:${o.port}`, { timeout: 30_000 });
  const [sender, receiver] = await Promise.all([
    conn.openSender(o.address),
    conn.openReceiver(o.address, { credit: 10 }),
  ]);
  // The first send waits for credit by itself; the warmup keeps that wait out of the samples.
  const outcomes: Promise<unknown>[] = [];
  let tBegin = 0n;
  let tEnd = 0n;
  for (let round = 0; round < total; round++) {
    const t0 = nowNs();
    if (round === o.warmup) tBegin = t0;
    const m = new Message();
    m.id = round;
    m.body = payload;
    m.bodyKind = 'data';
    const outcome = sender.send(m);
    // Caught now so that a rejection arriving while the reply is awaited is not reported as unhandled.
    outcome.catch(() => {});
    outcomes.push(outcome);
    const reply = await receiver.receive();
    const t1 = nowNs();
    if (round >= o.warmup) samples[round - o.warmup] = Number(t1 - t0);
    tEnd = t1;
    reply.accept();
    if (Number(reply.message.correlationId) !== round) {
      throw new Error(`reply ${String(reply.message.correlationId)} to request ${round}`);
    }
  }
  await Promise.all(outcomes);
  printJson(summarize(samples, Number(tEnd - tBegin) / 1e9));
  await conn.close();
  ok = true;
} catch (e) {
  process.stderr.write(`rr-client-promise: ${e instanceof Error ? e.message : String(e)}\n`);
}
exitSoon(ok ? 0 : 1, 100);
