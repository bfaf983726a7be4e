/**
 * `proton-ts passwd USER`: prints the users file records of USER, one per SCRAM hash, for the password
 * read from stdin (its first line; on a terminal it is asked for without echo). Only the salted records
 * are printed: append them to the broker's users file.
 */
import { RECORD_MECHANISMS, scramRecord } from '../broker/users.js';
import { InvalidOptionError } from '../index.js';
import { type CommandIo, noMore, parse, UsageError, wholeNumber } from './args.js';

/** Where the password comes from: stdin, or a stand-in in tests. */
export type PasswordSource = () => Promise<string>;

export async function passwdCommand(
  args: string[],
  io: CommandIo,
  readPassword: PasswordSource = () => readStdinPassword(io),
): Promise<void> {
  const { values, positionals } = parse('passwd', args, { iterations: { type: 'string' } });
  const user = positionals[0];
  if (user === undefined) throw new UsageError('passwd needs a USER');
  noMore('passwd', positionals.slice(1));
  const iterations = wholeNumber('iterations', values.iterations, 4096, 4096);
  if (user === '' || /[:\r\n]/.test(user)) {
    throw new UsageError(`passwd: '${user}' cannot be a user name (empty, or with ':')`);
  }
  const password = await readPassword();
  if (password === '') throw new UsageError('passwd: the password is empty');
  try {
    for (const m of RECORD_MECHANISMS) io.stdout.write(`${scramRecord(user, password, m, { iterations })}\n`);
  } catch (e) {
    if (e instanceof InvalidOptionError) throw new UsageError(`passwd: ${e.message}`);
    throw e;
  }
}

/** The first line of stdin; on a terminal, asked for with a prompt and typed without echo. */
function readStdinPassword(io: CommandIo): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let text = '';
    const tty = stdin.isTTY === true;
    if (tty) {
      io.stderr.write('password: ');
      stdin.setRawMode(true);
    }
    const end = (value: string | Error) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      if (tty) {
        stdin.setRawMode(false);
        io.stderr.write('\n');
      }
      stdin.pause();
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\n' || ch === '\r') return end(text);
        // Ctrl-C and Ctrl-D in raw mode: give up.
        if (tty && (ch === '\x03' || ch === '\x04')) return end(new UsageError('passwd: no password given'));
        if (tty && (ch === '\x7f' || ch === '\b')) text = text.slice(0, -1);
        else text += ch;
      }
    };
    const onEnd = () => end(text);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}
