/**
 * Port of Proton's selected_recv.py: receives from `-a` with the selector `colour = 'green'` and prints
 * each body; after `-m` messages (0, the default: never) closes. (A broker that ignores selectors, such
 * as Proton's broker.py, delivers every message.)
 */
import { Container, type Event, MessagingHandler, Selector, Url } from '../src/index.js';
import {
  ADDRESS_FROM,
  containerOf,
  MESSAGES_RECEIVED,
  num,
  parseOptions,
  pyStr,
  runContainer,
  str,
} from './options.js';

class Recv extends MessagingHandler {
  private received = 0;
  private readonly url: Url;

  constructor(
    url: string,
    private readonly expected: number,
  ) {
    super();
    this.url = new Url(url);
  }

  override onStart(event: Event): void {
    const container = containerOf(event);
    const conn = container.connect(this.url);
    container.createReceiver(conn, this.url.path, { options: new Selector("colour = 'green'") });
  }

  override onMessage(event: Event): void {
    console.log(pyStr(event.message?.body));
    this.received += 1;
    if (this.received === this.expected) {
      event.receiver?.close();
      event.connection?.close();
    }
  }
}

const opts = parseOptions({ options: [ADDRESS_FROM(), MESSAGES_RECEIVED(0)] });
await runContainer(new Container(new Recv(str(opts, 'address'), num(opts, 'messages'))));
