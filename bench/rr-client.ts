/**
 * RR_CLIENT (bench contract): a sender and a receiver (credit 10) on one connection; once both are
 * open and the sender has credit, `--warmup` unrecorded then `--count` recorded round trips, one
 * request outstanding at a time. A round trip runs from just before the request is built to the moment
 * the reply has been decoded (`onMessage`). Prints the contract's latency summary.
 */
import { Container, type Event, Message, MessagingHandler, type Sender } from '../src/index.js';
import { exitSoon, nowNs, parsePeerArgs, printJson, summarize } from './peer-args.js';

const o = parsePeerArgs();
const payload = Buffer.alloc(o.size, 'x');
const total = o.count + o.warmup;
const samples = new Float64Array(o.count);

class Client extends MessagingHandler {
  private sender: Sender | undefined;
  private receiverOpen = false;
  private started = false;
  private round = 0;
  private t0 = 0n;
  tBegin = 0n;
  tEnd = 0n;
  done = false;

  override onStart(event: Event): void {
    const c = event.container.connect(`amqp://${o.host}:${o.port}`);
    this.sender = event.container.createSender(c, o.address);
    event.container.createReceiver(c, o.address);
  }

  override onLinkOpened(event: Event): void {
    if (event.link?.isSender === false) this.receiverOpen = true;
    this.maybeStart();
  }

  override onSendable(): void {
    this.maybeStart();
  }

  private maybeStart(): void {
    if (this.started || !this.receiverOpen || this.sender === undefined || this.sender.credit <= 0) return;
    this.started = true;
    this.request();
  }

  private request(): void {
    this.t0 = nowNs();
    if (this.round === o.warmup) this.tBegin = this.t0;
    const m = new Message();
    m.id = this.round;
    m.body = payload;
    m.bodyKind = 'data';
    this.sender?.send(m);
  }

  override onMessage(event: Event): void {
    const t1 = nowNs();
    if (this.round >= o.warmup) samples[this.round - o.warmup] = Number(t1 - this.t0);
    this.round++;
    if (this.round < total) this.request();
    else {
      this.done = true;
      this.tEnd = t1;
      event.connection?.close();
    }
  }
}

const h = new Client({ prefetch: 10 });
await new Container(h).run();
if (h.done) printJson(summarize(samples, Number(h.tEnd - h.tBegin) / 1e9));
exitSoon(h.done ? 0 : 1, 100);
