/**
 * Port of Proton's queue_browser.py: browses the node `examples` (a receiver with the `Copy` option, so
 * a broker that supports it leaves the messages on the queue) and prints each message as Python's repr
 * (`Message(priority=4, id=1, ...)`), closing once no more messages are queued on the link. (Proton's
 * broker.py has no browsing, so there the messages are consumed.)
 *
 * Python's has no options (it uses `localhost:5672` and `examples`); this one also takes
 * `-a/--address` (host:port/node) with that default.
 */
import { Container, Copy, type Event, MessagingHandler, Url } from '../src/index.js';
import { containerOf, parseOptions, runContainer, str } from './options.js';

class Recv extends MessagingHandler {
  constructor(private readonly url: Url) {
    super();
  }

  override onStart(event: Event): void {
    const container = containerOf(event);
    const conn = container.connect(`${this.url.host ?? 'localhost'}:${this.url.port ?? 5672}`);
    container.createReceiver(conn, this.url.path ?? 'examples', { options: new Copy() });
  }

  override onMessage(event: Event): void {
    console.log(String(event.message));
    // Python's test is `receiver.queued == 0 and receiver.drained`, where `drained` is a bound
    // method and so always true: what counts is that nothing more is queued.
    if (event.receiver?.queued === 0) event.connection?.close();
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'localhost:5672/examples',
      help: 'address of the queue to browse (default %default)',
    },
  ],
});
await runContainer(new Container(new Recv(new Url(str(opts, 'address')))));
