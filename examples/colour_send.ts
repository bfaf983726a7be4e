/**
 * Port of Proton's colour_send.py: sends `-m` messages with an application property `colour`, `green`
 * for odd ids and `red` for even ones, and the body `<colour> <id>`; prints `all messages confirmed`.
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
      const colour = this.sent % 2 ? 'red' : 'green';
      this.sent += 1;
      sender.send(new Message({ id: this.sent, properties: { colour }, body: `${colour} ${this.sent}` }));
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
