/**
 * Port of Proton's simple_send.py: sends `-m` messages `{'sequence': n}` (id n) to `-a`, as fast as
 * credit allows; prints `all messages confirmed` once all are accepted, then closes. After a lost
 * connection it sends again from the first unconfirmed message.
 */
import { Container, type Event, Message, MessagingHandler } from '../src/index.js';
import { ADDRESS_TO, containerOf, MESSAGES_SENT, num, parseOptions, runContainer, str } from './options.js';

class Send extends MessagingHandler {
  private sent = 0;
  private confirmed = 0;

  constructor(
    private readonly url: string,
    private readonly total: number,
  ) {
    super();
  }

  override onStart(event: Event): void {
    containerOf(event).createSender(this.url);
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
    this.sent = this.confirmed;
  }
}

const opts = parseOptions({
  description: 'Send messages to the supplied address.',
  options: [ADDRESS_TO(), MESSAGES_SENT()],
});
await runContainer(new Container(new Send(str(opts, 'address'), num(opts, 'messages'))));
