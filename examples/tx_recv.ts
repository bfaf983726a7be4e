/**
 * Port of Proton's tx_recv.py: receives from `-a` in local transactions of `-b` messages (credit is
 * given a batch at a time, once each transaction is declared), printing each body and accepting it
 * inside the transaction, then committing; closes once `-m` messages (0: never) are committed. Needs a
 * broker with transactions (Proton 0.37's broker.py has none).
 */
import {
  type Connection,
  Container,
  type Event,
  type Receiver,
  Transaction,
  TransactionalClientHandler,
  Url,
} from '../src/index.js';
import {
  ADDRESS_FROM,
  BATCH_SIZE,
  containerOf,
  MESSAGES_RECEIVED,
  num,
  parseOptions,
  pyStr,
  runContainer,
  str,
} from './options.js';

class TxRecv extends TransactionalClientHandler {
  private readonly url: Url;
  private container: Container | undefined;
  private conn: Connection | undefined;
  private receiver: Receiver | undefined;
  private transaction: Transaction | undefined;
  private currentBatch = 0;
  private committed = 0;

  constructor(
    url: string,
    private readonly expected: number,
    private readonly batchSize: number,
  ) {
    super({ prefetch: 0, autoAccept: false });
    this.url = new Url(url);
  }

  override onStart(event: Event): void {
    this.container = containerOf(event);
    this.conn = this.container.connect(this.url);
    this.receiver = this.container.createReceiver(this.conn, this.url.path);
    this.container.declareTransaction(this.conn, this);
    this.transaction = undefined;
  }

  override onMessage(event: Event): void {
    console.log(pyStr(event.message?.body));
    if (event.delivery !== undefined) this.transaction?.accept(event.delivery);
    this.currentBatch += 1;
    if (this.currentBatch === this.batchSize) {
      this.transaction?.commit();
      this.transaction = undefined;
    }
  }

  override onTransactionDeclared(event: Event): void {
    this.receiver?.flow(this.batchSize);
    this.transaction = event.transaction instanceof Transaction ? event.transaction : undefined;
  }

  override onTransactionCommitted(event: Event): void {
    this.committed += this.currentBatch;
    this.currentBatch = 0;
    if (this.expected === 0 || this.committed < this.expected) {
      if (this.conn !== undefined) this.container?.declareTransaction(this.conn, this);
    } else {
      event.connection?.close();
    }
  }

  override onDisconnected(_event: Event): void {
    this.currentBatch = 0;
  }
}

const opts = parseOptions({ options: [ADDRESS_FROM(), MESSAGES_RECEIVED(), BATCH_SIZE()] });
await runContainer(
  new Container(new TxRecv(str(opts, 'address'), num(opts, 'messages'), num(opts, 'batchSize'))),
);
