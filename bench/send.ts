/**
 * SEND (bench contract): one sender link to `--url`, `--count` messages of a `--size`-byte data body
 * with message-id the sequence number (a ulong), each built and encoded afresh, as fast as credit
 * allows. Unsettled: closes once every message has an outcome. `--presettled`: at-most-once, closes
 * after the last send (the close frame goes out behind the transfers already queued).
 */
import { AtMostOnce, Container, type Event, Message, MessagingHandler, type Sender } from '../src/index.js';
import { exitSoon, nowNs, parsePeerArgs, printJson } from './peer-args.js';

const o = parsePeerArgs();
const payload = Buffer.alloc(o.size, 'x');

class Send extends MessagingHandler {
  sent = 0;
  settled = 0;
  accepted = 0;
  tStart = 0n;
  tEnd = 0n;
  finished = false;

  override onStart(event: Event): void {
    const options = o.presettled ? { options: new AtMostOnce() } : {};
    event.container.createSender(`amqp://${o.host}:${o.port}/${o.address}`, undefined, options);
  }

  override onSendable(event: Event): void {
    const sender = event.sender as Sender;
    if (this.sent === 0) this.tStart = nowNs();
    while (sender.credit > 0 && this.sent < o.count) {
      const m = new Message();
      m.id = this.sent;
      m.body = payload;
      m.bodyKind = 'data';
      sender.send(m);
      this.sent++;
    }
    if (o.presettled && this.sent === o.count) this.finish(event);
  }

  override onAccepted(): void {
    this.accepted++;
  }

  override onSettled(event: Event): void {
    if (++this.settled === o.count) this.finish(event);
  }

  private finish(event: Event): void {
    if (this.finished) return;
    this.finished = true;
    this.tEnd = nowNs();
    event.connection?.close();
  }

  override onDisconnected(): void {
    if (!this.finished) process.stderr.write(`sender disconnected after ${this.sent} sent\n`);
  }
}

const h = new Send();
await new Container(h).run();
const ok = h.sent === o.count && (o.presettled || h.accepted === o.count);
printJson({
  sent: h.sent,
  acked: h.accepted,
  seconds: Number(h.tEnd - h.tStart) / 1e9,
  max_rss_kb: process.resourceUsage().maxRSS,
});
exitSoon(ok ? 0 : 1, 100);
