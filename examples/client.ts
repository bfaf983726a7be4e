/**
 * Port of Proton's client.py: request/response through a broker. A sender to `-a` and a receiver with a
 * dynamic source (the reply queue) on the same connection; each request (the positional arguments, or
 * four lines of Jabberwocky) is sent with `reply_to` set to the reply queue, and each response printed
 * as `<request> => <response>`. Closes after the last.
 */
import {
  Container,
  type Event,
  Message,
  MessagingHandler,
  type Receiver,
  type Sender,
} from '../src/index.js';
import { ADDRESS_TO, containerOf, parseOptions, pyStr, REQUESTS, runContainer, str } from './options.js';

class Client extends MessagingHandler {
  private sender: Sender | undefined;
  private receiver: Receiver | undefined;

  constructor(
    private readonly url: string,
    private readonly requests: string[],
  ) {
    super();
  }

  override onStart(event: Event): void {
    const container = containerOf(event);
    this.sender = container.createSender(this.url);
    this.receiver = container.createReceiver(this.sender.connection, undefined, { dynamic: true });
  }

  private nextRequest(): void {
    const replyTo = this.receiver?.remoteSource?.address;
    if (replyTo) this.sender?.send(new Message({ replyTo, body: this.requests[0] }));
  }

  override onLinkOpened(event: Event): void {
    if (event.receiver !== undefined && event.receiver === this.receiver) this.nextRequest();
  }

  override onMessage(event: Event): void {
    console.log(`${this.requests.shift()} => ${pyStr(event.message?.body)}`);
    if (this.requests.length > 0) this.nextRequest();
    else event.connection?.close();
  }
}

const opts = parseOptions({
  description: 'Send requests to the supplied address and print responses.',
  options: [ADDRESS_TO()],
});
await runContainer(
  new Container(new Client(str(opts, 'address'), opts.args.length > 0 ? opts.args : [...REQUESTS])),
);
