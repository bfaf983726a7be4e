/**
 * Port of Proton's tx_send.py: sends `-m` messages `{'sequence': n}` to `-a` in local transactions of
 * `-b` messages each, committing each batch and declaring the next; prints `all messages committed`
 * once all are committed, then closes. Needs a broker with transactions (Proton 0.37's broker.py has
 * none).
 */
import {
  type Connection,
  Container,
  type Event,
  Message,
  type Sender,
  Transaction,
  TransactionalClientHandler,
  Url,
} from '../src/index.js';
import {
  ADDRESS_TO,
  BATCH_SIZE,
  containerOf,
  MESSAGES_SENT,
  num,
  parseOptions,
  runContainer,
  str,
} from './options.js';

class TxSend extends TransactionalClientHandler {
  private readonly url: Url;
  private container: Container | undefined;
  private conn: Connection | undefined;
  private sender: Sender | undefined;
  private transaction: Transaction | undefined;
  private currentBatch = 0;
  private committed = 0;
  private confirmed = 0;

  constructor(
    url: string,
    private readonly total: number,
    private readonly batchSize: number,
  ) {
    super();
    this.url = new Url(url);
  }

  override onStart(event: Event): void {
    this.container = containerOf(event);
    this.conn = this.container.connect(this.url);
    this.sender = this.container.createSender(this.conn, this.url.path);
    this.container.declareTransaction(this.conn, this);
    this.transaction = undefined;
  }

  override onTransactionDeclared(event: Event): void {
    this.transaction = event.transaction instanceof Transaction ? event.transaction : undefined;
    this.send();
  }

  override onSendable(_event: Event): void {
    this.send();
  }

  private send(): void {
    const sender = this.sender;
    while (
      this.transaction !== undefined &&
      sender !== undefined &&
      sender.credit > 0 &&
      this.committed + this.currentBatch < this.total
    ) {
      const seq = this.committed + this.currentBatch + 1;
      this.transaction.send(sender, new Message({ id: seq, body: { sequence: seq } }));
      this.currentBatch += 1;
      if (this.currentBatch === this.batchSize) {
        this.transaction.commit();
        this.transaction = undefined;
      }
    }
  }

  override onAccepted(event: Event): void {
    if (event.sender === this.sender) this.confirmed += 1;
  }

  override onTransactionCommitted(event: Event): void {
    this.committed += this.currentBatch;
    if (this.committed === this.total) {
      console.log('all messages committed');
      event.connection?.close();
    } else {
      this.currentBatch = 0;
      if (this.conn !== undefined) this.container?.declareTransaction(this.conn, this);
    }
  }

  override onDisconnected(_event: Event): void {
    this.currentBatch = 0;
  }
}

const opts = parseOptions({
  description: 'Send messages transactionally to the supplied address.',
  options: [ADDRESS_TO(), MESSAGES_SENT(), BATCH_SIZE()],
});
await runContainer(
  new Container(new TxSend(str(opts, 'address'), num(opts, 'messages'), num(opts, 'batchSize'))),
);
