/**
 * What every command shares: its streams, the usage text, and reading arguments so that any bad input
 * is a {@link UsageError} naming the option or the URL (the command then exits 2).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InvalidOptionError, Url } from '../index.js';

/** A stream the command writes to: stdout, stderr, or a stand-in in tests. */
export interface OutStream {
  write(text: string): unknown;
  /** A terminal: the progress bar is drawn only then. */
  readonly isTTY?: boolean;
  /** The terminal's width. */
  readonly columns?: number;
}

/** Where a command writes; tests hand in their own. */
export interface CommandIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
}

export const USAGE = `usage: proton-ts <command> [options]

commands:
  broker  [--host H] [--port P] [--tls-cert F --tls-key F [--tls-ca F]] [--users FILE]
          [--allow-anonymous] [--acl FILE] [--max-frame-size N] [--idle-timeout S]
          [--max-connections N] [--max-queue-depth N] [--max-unsettled-per-connection N]
          [--max-buffered-bytes-per-connection N] [-v]
                                                run the embedded broker
  passwd  USER [--iterations N]                 print the users file records of USER, the password
                                                read from stdin
  send    URL [--count N] [--body TEXT | --file F] [--property k=v ...] [--durable] [--presettled]
                                                send messages to URL (host:port/address)
  receive URL [--count N] [--timeout S] [--selector S] [--browse] [--json]
                                                receive messages from URL and print them
  request URL BODY [--timeout S]                send a request, print the reply
  demo                                          the broker, a sender and a receiver in one process
`;

/** A bad option or argument: the message names it; the command exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments; node's own errors (unknown option, missing value) become UsageErrors
 * that keep its wording, which names the option.
 */
export function parse<O extends Options>(
  command: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${command}: ${(e as Error).message}`);
    }
    throw e;
  }
}

/** A whole number option (`--count`, `--port`...), at least `min`. */
export function wholeNumber(
  name: string,
  value: string | undefined,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min} to ${max}`;
    throw new UsageError(`option --${name}: '${value}' is not a whole number (${range})`);
  }
  return n;
}

/** A number of seconds (fractions allowed, more than 0), as milliseconds. */
export function seconds(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const s = Number(value);
  if (value.trim() === '' || !Number.isFinite(s) || s <= 0) {
    throw new UsageError(`option --${name}: '${value}' is not a number of seconds`);
  }
  return Math.round(s * 1000);
}

/** The URL positional of a client command: it must parse and name an address. */
export function addressUrl(
  command: string,
  url: string | undefined,
): { url: string; address: string; display: string } {
  if (url === undefined) throw new UsageError(`${command} needs a URL (host:port/address)`);
  let u: Url;
  try {
    u = new Url(url);
  } catch (e) {
    if (e instanceof InvalidOptionError) throw new UsageError(`bad URL '${url}': ${e.message}`);
    throw e;
  }
  if (u.path === undefined || u.path === '') {
    throw new UsageError(`bad URL '${url}': no address (host:port/address)`);
  }
  // `display` masks the password, for messages.
  return { url, address: u.path, display: String(u) };
}

/** Refuses positionals a command does not take. */
export function noMore(command: string, extra: string[]): void {
  if (extra.length > 0) throw new UsageError(`${command}: unexpected argument '${extra[0]}'`);
}

/** The command ran but failed (no peer, no reply): exit 1 with the message. */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';
}

/** What a failed transport says: its condition, else a generic line. */
export function describeFailure(
  condition: { name: string; description?: string | undefined } | undefined,
): string {
  if (condition === undefined) return 'the connection failed';
  return condition.description ? `${condition.name}: ${condition.description}` : condition.name;
}
