/**
 * Port of Proton's direct_send.py: like simple_send, but with no broker: it listens on `-a` and sends
 * `-m` messages `{'sequence': n}` over the links receivers open to it; prints `all messages confirmed`,
 * then closes the connection and stops listening.
 */
import { type Acceptor, Container, type Event, Message, MessagingHandler } from '../src/index.js';
import {
  ADDRESS_TO,
  containerOf,
  listenOrExit,
  MESSAGES_SENT,
  num,
  parseOptions,
  runContainer,
  str,
} from './options.js';

class Send extends MessagingHandler {
  private sent = 0;
  private confirmed = 0;
  private acceptor: Acceptor | undefined;

  constructor(
    private readonly url: string,
    private readonly total: number,
  ) {
    super();
  }

  override onStart(event: Event): void {
    listenOrExit(containerOf(event), this.url, (a) => {
      this.acceptor = a;
    });
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
      this.acceptor?.close();
    }
  }

  override onDisconnected(_event: Event): void {
    this.sent = this.confirmed;
  }
}

const opts = parseOptions({
  description: 'Send messages to the supplied address.',
  options: [ADDRESS_TO(), MESSAGES_SENT()],
});
await runContainer(new Container(new Send(str(opts, 'address'), num(opts, 'messages'))));
