/**
 * A consumer for the broker benchmark: connects to `--url`, keeps `--credit` credit on one receiver,
 * accepts every message, and stops after `--count` messages, or once none has come for `--idle-ms`
 * after the first (competing consumers need not get equal shares). Prints
 * {"msgs":n,"first_ms":..,"last_ms":..} with wall-clock times, so several processes can be combined.
 */
import { type Connection, Container, type Event, MessagingHandler } from '../src/index.js';
import { exitSoon, parsePeerArgs, printJson } from './peer-args.js';

const args = process.argv.slice(2);
const idleAt = args.indexOf('--idle-ms');
const idleMs = idleAt >= 0 ? Number(args.splice(idleAt, 2)[1]) : 2000;
const o = parsePeerArgs(args);
const wallMs = () => performance.timeOrigin + performance.now();

class Consume extends MessagingHandler {
  msgs = 0;
  first = 0;
  last = 0;
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  override onStart(event: Event): void {
    const receiver = event.container.createReceiver(`amqp://${o.host}:${o.port}/${o.address}`);
    // One coarse idle check, not a timer reset per message. A consumer that the broker gives nothing
    // (competing consumers need not all get a share) stops after a grace of 10 s plus the idle time.
    const armed = wallMs() + 10_000;
    this.timer = setInterval(() => {
      if (wallMs() - (this.msgs > 0 ? this.last : armed) > idleMs) this.stop(receiver.connection);
    }, idleMs / 4);
  }

  override onMessage(event: Event): void {
    const t = wallMs();
    if (this.msgs++ === 0) this.first = t;
    this.last = t;
    if (this.msgs === o.count && event.connection !== undefined) this.stop(event.connection);
  }

  private stop(connection: Connection): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.timer);
    connection.close();
  }
}

const h = new Consume({ prefetch: o.credit });
await new Container(h).run();
printJson({ msgs: h.msgs, first_ms: h.first, last_ms: h.last });
exitSoon(0, 100);
