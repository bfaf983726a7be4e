/**
 * Port of Proton's server.py: a service behind a broker. Receives requests from the node of `-a` and
 * sends each body in upper case to the request's `reply_to`, with its `correlation_id`, over one
 * anonymous sender (so the broker must route by the message's address). Prints
 * `Listening on <url>`, then `Received <message>` per request; runs until interrupted.
 */
import { Container, type Event, Message, MessagingHandler, type Sender, Url } from '../src/index.js';
import { ADDRESS_FROM, containerOf, parseOptions, runContainer, str } from './options.js';

class Server extends MessagingHandler {
  private sender: Sender | undefined;

  constructor(
    private readonly url: Url,
    private readonly address: string | undefined,
  ) {
    super();
  }

  override onStart(event: Event): void {
    console.log('Listening on', String(this.url));
    const container = containerOf(event);
    const conn = container.connect(this.url);
    container.createReceiver(conn, this.address);
    this.sender = container.createSender(conn, undefined);
  }

  override onMessage(event: Event): void {
    const request = event.message;
    if (request === undefined) return;
    console.log('Received', String(request));
    const body = request.body;
    this.sender?.send(
      new Message({
        address: request.replyTo,
        body: typeof body === 'string' ? body.toUpperCase() : body,
        correlationId: request.correlationId,
      }),
    );
  }
}

const opts = parseOptions({ options: [ADDRESS_FROM()] });
const url = new Url(str(opts, 'address'));
await runContainer(new Container(new Server(url, url.path)));
