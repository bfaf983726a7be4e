/**
 * RECV (bench contract): listens, takes one connection and any link on it, keeps `--credit` credit
 * (the handler's prefetch), reads every message's body, accepts it (autoAccept), and after `--count`
 * messages prints {"msgs":N,"seconds":S,"rate":R} timed from the first to the last message.
 * `--work-us U` (not in the contract) spends U µs per message, a slow receiver for the memory test.
 */
import { type Acceptor, Container, type Event, MessagingHandler } from '../src/index.js';
import { exitSoon, listenOrExit, nowNs, parsePeerArgs, printJson } from './peer-args.js';

const o = parsePeerArgs();

/** Spins for `us` microseconds: the work of a slow application (`--work-us`). */
function busy(us: number): void {
  const until = nowNs() + BigInt(us * 1000);
  while (nowNs() < until);
}

class Recv extends MessagingHandler {
  private received = 0;
  private bodyBytes = 0;
  private tFirst = 0n;
  private acceptor: Acceptor | undefined;
  private done = false;

  override onStart(event: Event): void {
    listenOrExit(event.container, o, (a) => {
      this.acceptor = a;
    });
  }

  override onMessage(event: Event): void {
    // The clock is read for the first and the last message only: S runs from one to the other.
    if (this.received === 0) this.tFirst = nowNs();
    const t = this.received + 1 === o.count ? nowNs() : 0n;
    const body = event.message?.body;
    if (body instanceof Uint8Array || typeof body === 'string') this.bodyBytes += body.length;
    if (o.workUs > 0) busy(o.workUs);
    if (++this.received === o.count) {
      this.done = true;
      const seconds = Number(t - this.tFirst) / 1e9;
      printJson({
        msgs: this.received,
        seconds,
        rate: this.received / seconds,
        body_bytes: this.bodyBytes,
        max_rss_kb: process.resourceUsage().maxRSS,
      });
      event.connection?.close();
      this.acceptor?.close();
      exitSoon(0);
    }
  }

  override onDisconnected(): void {
    if (this.done) return;
    process.stderr.write(`disconnected after ${this.received} messages\n`);
    this.acceptor?.close();
    exitSoon(1, 500);
  }
}

await new Container(new Recv({ prefetch: o.credit })).run();
