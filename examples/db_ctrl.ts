/**
 * Port of Proton's db_ctrl.py: sets up and shows the tables of db_send and db_recv (see db_common.ts
 * for how a database is kept: a directory, not a sqlite file). `db_ctrl init DB` makes the table empty,
 * `db_ctrl insert DB` adds a record per line of stdin (trailing white space dropped) and `db_ctrl list
 * DB` prints each record as Python prints a tuple, `(1, 'Message-1')`. With fewer arguments it prints
 * its usage; an unknown command prints `Unrecognised command: <command>`. db_send reads `src_db` and
 * db_recv writes `dst_db`, in the directory they run in:
 *
 *     node dist/examples/db_ctrl.js init src_db
 *     seq -f 'Message-%g' 50 | node dist/examples/db_ctrl.js insert src_db
 */
import { createInterface } from 'node:readline';
import { pythonRepr } from '../src/index.js';
import { type Change, initTable, NoSuchTable, readTable, writeChanges } from './db_common.js';

async function main(argv: readonly string[]): Promise<void> {
  if (argv.length < 2) {
    console.log(`Usage: ${process.argv[1]} [init|insert|list] db`);
    return;
  }
  const [command, db] = argv as [string, string];
  if (command === 'init') {
    await initTable(db);
  } else if (command === 'list') {
    for (const r of await readTable(db)) console.log(`(${r.id}, ${pythonRepr(r.description)})`);
  } else if (command === 'insert') {
    const changes: Change[] = [];
    for await (const line of createInterface({ input: process.stdin, terminal: false })) {
      changes.push({ op: 'insert', description: line.trimEnd() });
    }
    // One append: all or nothing, as Python's single commit.
    await writeChanges(db, changes);
  } else {
    console.log(`Unrecognised command: ${command}`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof NoSuchTable || !(e instanceof Error) ? String(e) : (e.stack ?? e.message));
  process.exitCode = 1;
}
