/**
 * Port of Proton's tx_recv_interactive.py: a receiver whose transactions are driven from the keyboard.
 * It prints `Enter 'fetch', 'commit' or 'abort'`, and each line read from stdin becomes an application
 * event of that name, brought onto the container's loop by an `EventInjector`: `fetch` gives the
 * receiver one credit (the message that comes is printed and accepted inside the current transaction),
 * `commit` and `abort` discharge the transaction, and `quit` closes the receiver and the connection.
 * Prints `transaction declared` each time one is (a new one follows each commit or abort),
 * `transaction committed` and `transaction aborted`. Needs a broker with transactions.
 *
 * As Python's, the first transaction settles what it accepts at once (`settle_before_discharge`), the
 * later ones leave it to the discharge. Python runs the container in a thread and exits when stdin
 * ends; here the loop is Node's own, and the end of stdin stops the container, once the commands read
 * before it are handled (after `quit`, the connection closes first). Any other line is an event no one
 * handles, as in Python.
 *
 * Python's has no options (it uses `localhost:5672` and `examples`); this one also takes
 * `-a/--address` (host:port/node) with that default.
 */
import { createInterface } from 'node:readline';
import {
  ApplicationEvent,
  type Connection,
  Container,
  type Event,
  EventInjector,
  type Receiver,
  Transaction,
  TransactionalClientHandler,
  Url,
} from '../src/index.js';
import { containerOf, parseOptions, pyStr, runContainer, str } from './options.js';

/** The event the end of stdin becomes (not a command of Python's). */
const END_OF_INPUT = 'end_of_input';

class TxRecv extends TransactionalClientHandler {
  private container: Container | undefined;
  private conn: Connection | undefined;
  private receiver: Receiver | undefined;
  private transaction: Transaction | undefined;
  private quitting = false;

  constructor(
    private readonly host: string,
    private readonly address: string,
  ) {
    super({ prefetch: 0, autoAccept: false });
  }

  override onStart(event: Event): void {
    this.container = containerOf(event);
    this.conn = this.container.connect(this.host);
    this.receiver = this.container.createReceiver(this.conn, this.address);
    this.container.declareTransaction(this.conn, this, true);
    this.transaction = undefined;
  }

  override onMessage(event: Event): void {
    console.log(pyStr(event.message?.body));
    if (event.delivery !== undefined) this.transaction?.accept(event.delivery);
  }

  override onTransactionDeclared(event: Event): void {
    this.transaction = event.transaction instanceof Transaction ? event.transaction : undefined;
    console.log('transaction declared');
  }

  override onTransactionCommitted(_event: Event): void {
    console.log('transaction committed');
    if (this.conn !== undefined) this.container?.declareTransaction(this.conn, this);
  }

  override onTransactionAborted(_event: Event): void {
    console.log('transaction aborted');
    if (this.conn !== undefined) this.container?.declareTransaction(this.conn, this);
  }

  onCommit(_event: Event): void {
    this.transaction?.commit();
  }

  onAbort(_event: Event): void {
    this.transaction?.abort();
  }

  onFetch(_event: Event): void {
    this.receiver?.flow(1);
  }

  onQuit(_event: Event): void {
    this.quitting = true;
    const c = this.receiver?.connection;
    this.receiver?.close();
    c?.close();
  }

  onEndOfInput(_event: Event): void {
    if (!this.quitting) this.container?.stop();
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'localhost:5672/examples',
      help: 'address from which messages are received (default %default)',
    },
  ],
});
const url = new Url(str(opts, 'address'));
const container = new Container(
  new TxRecv(`${url.host ?? 'localhost'}:${url.port ?? 5672}`, url.path ?? 'examples'),
);
const events = new EventInjector();
container.selectable(events);
const running = runContainer(container);

console.log("Enter 'fetch', 'commit' or 'abort'");
const input = createInterface({ input: process.stdin, terminal: false });
input.on('line', (line) => {
  const command = line.trim();
  // Python's would dispatch an empty name to nobody; an ApplicationEvent needs a name.
  if (command !== '') events.trigger(new ApplicationEvent(command));
});
input.on('close', () => {
  events.trigger(new ApplicationEvent(END_OF_INPUT));
  events.close();
});
await running;
// The container may end first (stopped): stdin must not keep the process up.
input.close();
process.stdin.destroy();
