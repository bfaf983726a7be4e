/**
 * What db_send, db_recv and db_ctrl share (Proton's db_common.py and the sqlite3 tables of its db
 * examples): a table of records, each an `id` and a `description`, and {@link Db}, which reads and
 * writes it off the event loop and tells the handler when it is done through an `EventInjector`.
 *
 * Proton's examples keep the table in sqlite3. Node 20 has no sqlite of its own (`node:sqlite` came
 * with Node 22.5) and proton-ts takes no dependencies, so here a "database" is a directory holding one
 * JSON-lines file per table (`records.jsonl`), made with nothing but `node:fs`. Each line records one
 * change: `{"op":"insert","description":...}` (its id given by the line's place: one more than any id
 * seen before it, as sqlite's AUTOINCREMENT), `{"op":"insert","id":n,"description":...}` or
 * `{"op":"delete","id":n}`; reading replays the lines. Appends of a line are atomic, so `db_ctrl insert`
 * may add records while db_send runs and both get distinct ids, as with sqlite.
 *
 * Python's Db runs the queries in a thread of its own so as not to block the event loop; here the
 * file I/O is asynchronous (`node:fs/promises`, on libuv's thread pool), one task after another in the
 * order asked, and each result comes back as an application event on the container's loop.
 */
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplicationEvent, EventInjector } from '../src/index.js';

/** One row of the records table. */
export interface DbRecord {
  id: number;
  description: string | null;
}

/** One line of the table's file. */
export type Change = { op: 'insert'; id?: number; description: string | null } | { op: 'delete'; id: number };

/** Thrown for a table that does not exist (sqlite's `no such table`). */
export class NoSuchTable extends Error {
  constructor(db: string) {
    super(`no such table: records (in ${db}; run db_ctrl init ${db} first)`);
    this.name = 'NoSuchTable';
  }
}

const tableFile = (db: string): string => join(db, 'records.jsonl');

/** Makes the table empty, dropping any records and the id sequence (db_ctrl's `init`). */
export async function initTable(db: string): Promise<void> {
  await mkdir(db, { recursive: true });
  await writeFile(tableFile(db), '');
}

/** The records of the table, in id order. */
export async function readTable(db: string): Promise<DbRecord[]> {
  let text: string;
  try {
    text = await readFile(tableFile(db), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NoSuchTable(db);
    throw e;
  }
  const rows = new Map<number, string | null>();
  let lastId = 0;
  // A line cut short by a writer that died is no record.
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let change: Change;
    try {
      change = JSON.parse(line) as Change;
    } catch {
      continue;
    }
    if (change.op === 'insert') {
      const id = change.id ?? lastId + 1;
      lastId = Math.max(lastId, id);
      if (!rows.has(id)) rows.set(id, change.description);
    } else if (change.op === 'delete') {
      rows.delete(change.id);
    }
  }
  return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([id, description]) => ({ id, description }));
}

/** Appends changes to the table (which must exist). */
export async function writeChanges(db: string, changes: readonly Change[]): Promise<void> {
  if (changes.length === 0) return;
  const text = changes.map((c) => `${JSON.stringify(c)}\n`).join('');
  try {
    // Appending would make a missing file: a table that was never made is an error, as in sqlite.
    await stat(tableFile(db));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NoSuchTable(db);
    throw e;
  }
  await appendFile(tableFile(db), text);
}

/** A bounded queue of records, as Python's `queue.Queue(maxsize)`. */
export class RecordQueue {
  private readonly items: DbRecord[] = [];
  constructor(readonly maxsize: number) {}
  get full(): boolean {
    return this.items.length >= this.maxsize;
  }
  get empty(): boolean {
    return this.items.length === 0;
  }
  put(r: DbRecord): void {
    this.items.push(r);
  }
  /** The oldest record; throws when empty. */
  get(): DbRecord {
    const r = this.items.shift();
    if (r === undefined) throw new RangeError('the record queue is empty');
    return r;
  }
}

/** An application event that {@link Db.getId} gives the last id to. */
export type IdEvent = ApplicationEvent & { id?: number };

/**
 * The table `records` of the database `db`, worked on in the background: each method queues a task,
 * and the tasks run one after another. What a task was given as `event` is triggered on `injector`
 * when the task is done (for inserts and deletes, once the change is written). A task that fails
 * (no table) is printed on stderr and ends the program with status 1, as Python's traceback does.
 */
export class Db {
  private position: number | undefined = undefined;
  private running = true;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly db: string,
    readonly injector: EventInjector,
  ) {}

  /** Ends the work once the tasks asked before are done; the injector is closed then. */
  close(): void {
    this.task(async () => {
      this.running = false;
      this.injector.close();
    });
  }

  /** Loads from the first record again. */
  reset(): void {
    this.task(async () => {
      this.position = undefined;
    });
  }

  /** Puts the records after those loaded before on `records`, until it is full. */
  load(records: RecordQueue, event?: ApplicationEvent): void {
    this.task(async () => {
      const position = this.position;
      const rows = (await readTable(this.db)).filter((r) => position === undefined || r.id > position);
      for (const row of rows) {
        if (records.full) break;
        this.position = row.id;
        records.put(row);
      }
      if (event !== undefined) this.injector.trigger(event);
    });
  }

  /** Sets `event.id` to the largest id in the table (0 when empty) and triggers it. */
  getId(event: IdEvent): void {
    this.task(async () => {
      const rows = await readTable(this.db);
      event.id = rows.length > 0 ? (rows[rows.length - 1] as DbRecord).id : 0;
      this.injector.trigger(event);
    });
  }

  /** Inserts a record (with its id when given, else the next one). */
  insert(id: number | undefined, data: string | null, event?: ApplicationEvent): void {
    this.task(async () => {
      await writeChanges(this.db, [
        id ? { op: 'insert', id, description: data } : { op: 'insert', description: data },
      ]);
      if (event !== undefined) this.injector.trigger(event);
    });
  }

  /** Deletes the record `id`. */
  delete(id: number, event?: ApplicationEvent): void {
    this.task(async () => {
      await writeChanges(this.db, [{ op: 'delete', id }]);
      if (event !== undefined) this.injector.trigger(event);
    });
  }

  private task(work: () => Promise<void>): void {
    this.tail = this.tail.then(async () => {
      // Python's worker thread takes no more tasks once closed.
      if (!this.running) return;
      try {
        await work();
      } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
      }
    });
  }
}
