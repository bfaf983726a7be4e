/**
 * Port of Proton's server_tx.py: the request/response service of server.py, each request handled in a
 * local transaction of its own. For each request on the node of `-a` a transaction is declared; once
 * it is, the upper-cased response goes to the request's `reply_to` (over a sender to that address,
 * made the first time it is seen) and the request is accepted, both inside the transaction, which is
 * then committed. Prints `Request processed successfully` per committed transaction (`Request processing
 * aborted` if one is aborted); runs until interrupted. Needs a broker with transactions (Proton 0.37's
 * broker.py has none).
 *
 * Python's has no options (it uses `localhost:5672` and `examples`); this one also takes
 * `-a/--address` (host:port/node) with that default. Python's also means to answer over one anonymous
 * sender when the broker offers ANONYMOUS-RELAY, but 0.37 never calls the callback that would set it
 * up (`on_connection_open`), so it always uses a sender per reply address: so does this one.
 */
import {
  type Connection,
  Container,
  type Delivery,
  type Event,
  Message,
  MessagingHandler,
  type Sender,
  Transaction,
  TransactionHandler,
  Url,
} from '../src/index.js';
import { containerOf, parseOptions, runContainer, str } from './options.js';

/** The transaction of one request: send the response and accept the request, then commit. */
class TxRequest extends TransactionHandler {
  constructor(
    private readonly response: Message,
    private readonly sender: Sender,
    private readonly requestDelivery: Delivery,
  ) {
    super();
  }

  override onTransactionDeclared(event: Event): void {
    const transaction = event.transaction;
    if (!(transaction instanceof Transaction)) return;
    transaction.send(this.sender, this.response);
    transaction.accept(this.requestDelivery);
    transaction.commit();
  }

  override onTransactionCommitted(_event: Event): void {
    console.log('Request processed successfully');
  }

  override onTransactionAborted(_event: Event): void {
    console.log('Request processing aborted');
  }
}

class TxServer extends MessagingHandler {
  private container: Container | undefined;
  private conn: Connection | undefined;
  private readonly senders = new Map<string | undefined, Sender>();

  constructor(
    private readonly host: string,
    private readonly address: string,
  ) {
    super({ autoAccept: false });
  }

  override onStart(event: Event): void {
    this.container = containerOf(event);
    this.conn = this.container.connect(this.host, { reconnect: false });
    this.container.createReceiver(this.conn, this.address);
  }

  override onMessage(event: Event): void {
    const request = event.message;
    const delivery = event.delivery;
    if (request === undefined || delivery === undefined || this.container === undefined) return;
    if (this.conn === undefined) return;
    const replyTo = request.replyTo;
    let sender = this.senders.get(replyTo);
    if (sender === undefined) {
      sender = this.container.createSender(this.conn, replyTo);
      this.senders.set(replyTo, sender);
    }
    const body = request.body;
    const response = new Message({
      address: replyTo,
      body: typeof body === 'string' ? body.toUpperCase() : body,
      correlationId: request.correlationId,
    });
    this.container.declareTransaction(this.conn, new TxRequest(response, sender, delivery));
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'localhost:5672/examples',
      help: 'address from which requests are received (default %default)',
    },
  ],
});
const url = new Url(str(opts, 'address'));
await runContainer(
  new Container(new TxServer(`${url.host ?? 'localhost'}:${url.port ?? 5672}`, url.path ?? 'examples')),
);
