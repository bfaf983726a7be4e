/**
 * Port of Proton's helloworld_direct.py: no broker; it listens on `localhost:8888` and sends itself
 * `Hello World!` over a connection to that port, prints it on receipt, and closes the connection once
 * the message is accepted, and the listener once the connection is closed.
 *
 * Python's has no options; this one also takes `-a/--address` (default `localhost:8888/examples`).
 */
import { type Acceptor, Container, type Event, Message, MessagingHandler } from '../src/index.js';
import { containerOf, listenOrExit, parseOptions, runContainer, str } from './options.js';

class HelloWorld extends MessagingHandler {
  private acceptor: Acceptor | undefined;

  constructor(private readonly url: string) {
    super();
  }

  override onStart(event: Event): void {
    const container = containerOf(event);
    // Python's listen() returns once listening; ours resolves then, and only then can we connect.
    listenOrExit(container, this.url, (a) => {
      this.acceptor = a;
      container.createSender(this.url);
    });
  }

  override onSendable(event: Event): void {
    event.sender?.send(new Message({ body: 'Hello World!' }));
    event.sender?.close();
  }

  override onMessage(event: Event): void {
    console.log(String(event.message?.body));
  }

  override onAccepted(event: Event): void {
    event.connection?.close();
  }

  override onConnectionClosed(_event: Event): void {
    this.acceptor?.close();
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'localhost:8888/examples',
      help: 'address to listen on and send to (default %default)',
    },
  ],
});
await runContainer(new Container(new HelloWorld(str(opts, 'address'))));
