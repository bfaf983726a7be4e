/**
 * simple_send with reconnect and failover: sends `-m` messages `{'sequence': n}` (id n) to `-a`,
 * at-least-once; prints `all messages confirmed` once all are accepted, then closes. Not one of
 * Proton's examples.
 *
 * The connection reconnects when it is lost (after 100 ms, doubling to 2 s, ten tries), trying in turn
 * `-a`'s host:port and each positional argument (more host:port alternates: the failover list). The
 * sender is created with `resend: true`, so the messages in flight when the connection dropped are sent
 * again after the reconnect; a receiver may then see one twice, as the message ids let it tell.
 */
import { Backoff, Container, type Event, Message, MessagingHandler, Url } from '../src/index.js';
import { ADDRESS_TO, containerOf, MESSAGES_SENT, num, parseOptions, runContainer, str } from './options.js';

class Send extends MessagingHandler {
  private sent = 0;
  private confirmed = 0;

  constructor(
    private readonly urls: string[],
    private readonly address: string,
    private readonly total: number,
  ) {
    super();
  }

  override onStart(event: Event): void {
    const container = containerOf(event);
    const conn = container.connect({
      urls: this.urls,
      reconnect: new Backoff({ initial: 100, maxDelay: 2_000, maxTries: 10 }),
    });
    container.createSender(conn, this.address, { resend: true });
  }

  override onSendable(event: Event): void {
    const sender = event.sender;
    while (sender !== undefined && sender.credit > 0 && this.sent < this.total) {
      this.sent += 1;
      sender.send(new Message({ id: this.sent, body: { sequence: this.sent } }));
    }
  }

  override onAccepted(event: Event): void {
    this.confirmed += 1;
    if (this.confirmed === this.total) {
      console.log('all messages confirmed');
      event.connection?.close();
    }
  }

  override onDisconnected(_event: Event): void {
    // Unlike simple_send, nothing to undo: with resend: true the sender sends what was in flight again
    // once the connection is back, and onSendable carries on from where it was.
    console.error('disconnected; reconnecting');
  }
}

const opts = parseOptions({
  description:
    'Send messages to the supplied address, reconnecting when the connection is lost. ' +
    'Arguments are alternate host:port URLs to fail over to.',
  options: [ADDRESS_TO(), MESSAGES_SENT()],
});
const url = new Url(str(opts, 'address'));
const primary = `${url.host ?? 'localhost'}:${url.port ?? 5672}`;
await runContainer(
  new Container(new Send([primary, ...opts.args], url.path ?? 'examples', num(opts, 'messages'))),
);
