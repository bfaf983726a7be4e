/**
 * Port of Proton's simple_recv.py: receives from `-a` and prints each body (`{'sequence': 1}`...);
 * after `-m` messages (0: never) closes. A message whose numeric id is below the count received so far
 * is taken for a duplicate and skipped silently, as Proton 0.37's does.
 */
import { Container, type Event, MessagingHandler } from '../src/index.js';
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

  constructor(
    private readonly url: string,
    private readonly expected: number,
  ) {
    super();
  }

  override onStart(event: Event): void {
    containerOf(event).createReceiver(this.url);
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
      }
    }
  }
}

const opts = parseOptions({ options: [ADDRESS_FROM(), MESSAGES_RECEIVED()] });
await runContainer(new Container(new Recv(str(opts, 'address'), num(opts, 'messages'))));
