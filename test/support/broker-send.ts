/** A plain sender for broker tests: sends its messages as credit allows, closes once all are accepted. */
import { type Event, type Message, MessagingHandler } from '../../src/index.js';

export class Send extends MessagingHandler {
  /** Messages accepted so far. */
  confirmed = 0;
  private sent = 0;

  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly messages: Message[],
  ) {
    super();
  }

  override onStart(e: Event): void {
    e.container.createSender(e.container.connect(this.url, { reconnect: false }), this.address);
  }

  override onSendable(e: Event): void {
    while (e.sender!.credit > 0 && this.sent < this.messages.length)
      e.sender!.send(this.messages[this.sent++]!);
  }

  override onAccepted(e: Event): void {
    if (++this.confirmed === this.messages.length) e.connection!.close();
  }
}
