/**
 * Port of Proton's helloworld.py: one connection to a broker with a receiver and a sender on the node
 * `examples`; sends `Hello World!`, prints what comes back and closes.
 *
 * Python's has no options (it uses `localhost:5672` and `examples`); this one also takes
 * `-a/--address` (host:port/node) with that default, so that it can be pointed at another broker.
 */
import { Container, type Event, Message, MessagingHandler, Url } from '../src/index.js';
import { containerOf, parseOptions, runContainer, str } from './options.js';

class HelloWorld extends MessagingHandler {
  constructor(
    private readonly server: string,
    private readonly address: string,
  ) {
    super();
  }

  override onStart(event: Event): void {
    const container = containerOf(event);
    const conn = container.connect(this.server);
    container.createReceiver(conn, this.address);
    container.createSender(conn, this.address);
  }

  override onSendable(event: Event): void {
    event.sender?.send(new Message({ body: 'Hello World!' }));
    event.sender?.close();
  }

  override onMessage(event: Event): void {
    console.log(String(event.message?.body));
    event.connection?.close();
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'localhost:5672/examples',
      help: 'address of the node to send to and receive from (default %default)',
    },
  ],
});
const url = new Url(str(opts, 'address'));
await runContainer(
  new Container(new HelloWorld(`${url.host ?? 'localhost'}:${url.port ?? 5672}`, url.path ?? 'examples')),
);
