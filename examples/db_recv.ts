/**
 * Port of Proton's db_recv.py: receives from `-a` into the table in `dst_db` (in the current directory;
 * see db_common.ts), accepting each message only once its record is written. It first reads the
 * largest id already in the table; a message with an id no larger is a duplicate, accepted without
 * being written again. Prints `inserted message <id>` per message; stops after `-m` (0: never),
 * releasing any that come beyond that.
 */
import { ApplicationEvent, Container, type Event, EventInjector, MessagingHandler } from '../src/index.js';
import { Db, type IdEvent } from './db_common.js';
import { ADDRESS_FROM, containerOf, num, parseOptions, runContainer, str } from './options.js';

class Recv extends MessagingHandler {
  private lastId: number | undefined = undefined;
  private received = 0;
  private accepted = 0;
  private readonly db = new Db('dst_db', new EventInjector());

  constructor(
    private readonly url: string,
    private readonly expected: number,
  ) {
    super({ autoAccept: false });
  }

  override onStart(event: Event): void {
    containerOf(event).selectable(this.db.injector);
    this.db.getId(new ApplicationEvent('id_loaded'));
  }

  onIdLoaded(event: Event): void {
    this.lastId = (event as IdEvent).id;
    containerOf(event).createReceiver(this.url);
  }

  onRecordInserted(event: Event): void {
    if (event.delivery !== undefined) this.accept(event.delivery);
    this.accepted += 1;
    if (this.accepted === this.expected) {
      event.connection?.close();
      this.db.close();
    }
  }

  override onMessage(event: Event): void {
    const message = event.message;
    const delivery = event.delivery;
    if (message === undefined || delivery === undefined) return;
    const id = Number(message.id);
    if (!this.lastId || id > this.lastId) {
      if (this.expected === 0 || this.received < this.expected) {
        this.received += 1;
        this.lastId = id;
        const body = message.body;
        this.db.insert(
          id,
          typeof body === 'string' ? body : body === undefined || body === null ? null : String(body),
          new ApplicationEvent('record_inserted', { delivery }),
        );
        console.log(`inserted message ${id}`);
      } else {
        this.release(delivery);
      }
    } else {
      this.accept(delivery);
    }
  }
}

const opts = parseOptions({
  options: [
    ADDRESS_FROM(),
    {
      name: 'messages',
      short: '-m',
      long: '--messages',
      type: 'int',
      default: 0,
      help: 'number of messages to receive; 0 receives indefinitely (default %default)',
    },
  ],
});
await runContainer(new Container(new Recv(str(opts, 'address'), num(opts, 'messages'))));
