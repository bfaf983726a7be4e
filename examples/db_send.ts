/**
 * Port of Proton's db_send.py: sends the records of the table in `src_db` (in the current directory;
 * see db_common.ts) to `-a`, each as a durable message whose id (and delivery tag) is the record's id
 * and whose body is its description, and deletes each record once its message is settled. Records are
 * loaded in the background, up to 50 at a time, while credit lasts; when none are left it waits 5
 * seconds and looks again. Stops after `-m` messages are settled (0: never). Prints `loading
 * records...`, `sent message <id>`, `settled message <id>`, `Exhausted available data, waiting to
 * recheck...` and `Rechecking for data...` as it goes (their interleaving depends on timing).
 */
import {
  ApplicationEvent,
  Container,
  type Event,
  EventInjector,
  Message,
  MessagingHandler,
  type Sender,
} from '../src/index.js';
import { Db, RecordQueue } from './db_common.js';
import { ADDRESS_TO, containerOf, num, parseOptions, runContainer, str } from './options.js';

class Send extends MessagingHandler {
  private container: Container | undefined;
  private sender: Sender | undefined;
  private sent = 0;
  private confirmed = 0;
  private loadCount = 0;
  private readonly records = new RecordQueue(50);
  private readonly db = new Db('src_db', new EventInjector());

  constructor(
    private readonly url: string,
    private readonly target: number,
  ) {
    super();
  }

  private keepSending(): boolean {
    return this.target === 0 || this.sent < this.target;
  }

  override onStart(event: Event): void {
    this.container = containerOf(event);
    this.container.selectable(this.db.injector);
    this.sender = this.container.createSender(this.url);
  }

  onRecordsLoaded(event: Event): void {
    if (this.records.empty) {
      if ((event as ApplicationEvent).subject === this.loadCount) {
        console.log('Exhausted available data, waiting to recheck...');
        // Look for new data in 5 seconds.
        this.container?.schedule(5000, this);
      }
    } else {
      this.send();
    }
  }

  private requestRecords(): void {
    if (!this.records.full) {
      console.log('loading records...');
      this.loadCount += 1;
      this.db.load(
        this.records,
        new ApplicationEvent('records_loaded', { link: this.sender, subject: this.loadCount }),
      );
    }
  }

  override onSendable(_event: Event): void {
    this.send();
  }

  private send(): void {
    const sender = this.sender;
    if (sender === undefined) return;
    while (sender.credit > 0 && !this.records.empty) {
      if (!this.keepSending()) return;
      const { id, description } = this.records.get();
      sender.send(new Message({ id, durable: true, body: description }), String(id));
      this.sent += 1;
      console.log(`sent message ${id}`);
    }
    this.requestRecords();
  }

  override onSettled(event: Event): void {
    const tag = event.delivery?.tag;
    if (tag === undefined) return;
    const id = Number.parseInt(Buffer.from(tag).toString(), 10);
    this.db.delete(id);
    console.log(`settled message ${id}`);
    this.confirmed += 1;
    if (this.confirmed === this.target) {
      event.connection?.close();
      this.db.close();
    }
  }

  override onDisconnected(_event: Event): void {
    this.db.reset();
    this.sent = this.confirmed;
  }

  onTimerTask(_event: Event): void {
    console.log('Rechecking for data...');
    this.requestRecords();
  }
}

const opts = parseOptions({
  description: 'Send messages to the supplied address.',
  options: [
    ADDRESS_TO(),
    {
      name: 'messages',
      short: '-m',
      long: '--messages',
      type: 'int',
      default: 0,
      help: 'number of messages to send; 0 sends indefinitely (default %default)',
    },
  ],
});
await runContainer(new Container(new Send(str(opts, 'address'), num(opts, 'messages'))));
