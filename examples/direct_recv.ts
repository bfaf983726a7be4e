/**
 * Port of Proton's direct_recv.py: like simple_recv, but with no broker: it listens on `-a` and prints
 * the body of each message senders send it; after `-m` messages (0: never) it closes the connection and
 * stops listening.
 */
import { type Acceptor, Container, type Event, MessagingHandler } from '../src/index.js';
import {
  ADDRESS_FROM,
  containerOf,
  listenOrExit,
  MESSAGES_RECEIVED,
  num,
  parseOptions,
  pyStr,
  runContainer,
  str,
} from './options.js';

class Recv extends MessagingHandler {
  private received = 0;
  private acceptor: Acceptor | undefined;

  constructor(
    private readonly url: string,
    private readonly expected: number,
  ) {
    super();
  }

  override onStart(event: Event): void {
    listenOrExit(containerOf(event), this.url, (a) => {
      this.acceptor = a;
    });
  }

  override onMessage(event: Event): void {
    const message = event.message;
    if (message === undefined) return;
    const id = message.id;
    if ((typeof id === 'number' || typeof id === 'bigint') && id && id < this.received) return;
    if (this.expected === 0 || this.received < this.expected) {
      console.log(pyStr(message.body));
      this.received += 1;
      if (this.received === this.expected) {
        event.receiver?.close();
        event.connection?.close();
        this.acceptor?.close();
      }
    }
  }
}

const opts = parseOptions({ options: [ADDRESS_FROM(), MESSAGES_RECEIVED()] });
await runContainer(new Container(new Recv(str(opts, 'address'), num(opts, 'messages'))));
