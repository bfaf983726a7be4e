/**
 * What the examples share: a small command-line parser that behaves as the Python examples' optparse
 * does (`-a X`, `-aX`, `--address X`, `--address=X`, unique prefixes of long options, `-h/--help`,
 * integer and float validation, errors on stderr with exit status 2), and a way to run a container
 * that exits quietly on Ctrl-C, as the Python examples do.
 */
import { basename } from 'node:path';
import { type Acceptor, Container, type Event, pythonRepr } from '../src/index.js';

/** One option, as `parser.add_option(short, long, type=, default=, help=)` declares it. */
export interface OptionSpec {
  /** The key of its value in the result, e.g. `address`. */
  readonly name: string;
  /** `-a`. */
  readonly short: string;
  /** `--address`. */
  readonly long: string;
  /** How the value is checked. @default 'string' */
  readonly type?: 'string' | 'int' | 'float';
  readonly default: string | number;
  /** The help text; `%default` is replaced by the default. */
  readonly help: string;
}

/** What the parser was told about the program. */
export interface ParserSpec {
  /** The paragraph `--help` prints under the usage line. */
  readonly description?: string;
  readonly options: readonly OptionSpec[];
}

/** The parsed command line: the values by option name, and the positional arguments. */
export interface Parsed {
  readonly values: Record<string, string | number>;
  readonly args: string[];
}

/** The options most examples share. */
export const ADDRESS_TO = (dflt = 'localhost:5672/examples'): OptionSpec => ({
  name: 'address',
  short: '-a',
  long: '--address',
  default: dflt,
  help: 'address to which messages are sent (default %default)',
});
export const ADDRESS_FROM = (dflt = 'localhost:5672/examples'): OptionSpec => ({
  name: 'address',
  short: '-a',
  long: '--address',
  default: dflt,
  help: 'address from which messages are received (default %default)',
});
export const MESSAGES_SENT = (dflt = 100): OptionSpec => ({
  name: 'messages',
  short: '-m',
  long: '--messages',
  type: 'int',
  default: dflt,
  help: 'number of messages to send (default %default)',
});
export const MESSAGES_RECEIVED = (dflt = 100): OptionSpec => ({
  name: 'messages',
  short: '-m',
  long: '--messages',
  type: 'int',
  default: dflt,
  help: 'number of messages to receive; 0 receives indefinitely (default %default)',
});
export const BATCH_SIZE = (dflt = 10): OptionSpec => ({
  name: 'batchSize',
  short: '-b',
  long: '--batch-size',
  type: 'int',
  default: dflt,
  help: 'number of messages in each transaction (default %default)',
});

/** The name the usage line gives the program: the script's file name, as optparse's `%prog`. */
export const prog = (): string => basename(process.argv[1] ?? 'example');

/** Thrown (and caught by {@link parseOptions}) for a bad command line. */
class UsageError extends Error {}

const HELP_POSITION = 24;
const WIDTH = 78;

/** Word-wraps `text` into lines of at most `width` characters (as Python's textwrap does). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The text `--help` prints. */
export function helpText(spec: ParserSpec): string {
  const out = [`Usage: ${prog()} [options]`, ''];
  if (spec.description !== undefined) out.push(...wrap(spec.description, WIDTH), '');
  out.push('Options:');
  const rows: [string, string][] = [['-h, --help', 'show this help message and exit']];
  for (const o of spec.options) {
    const metavar = o.name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
    rows.push([
      `${o.short} ${metavar}, ${o.long}=${metavar}`,
      o.help.replaceAll('%default', String(o.default)),
    ]);
  }
  for (const [opts, help] of rows) {
    const helpLines = wrap(help, WIDTH - HELP_POSITION);
    const head = `  ${opts}`;
    if (head.length <= HELP_POSITION - 2) {
      out.push(`${head.padEnd(HELP_POSITION)}${helpLines.shift() ?? ''}`);
    } else {
      out.push(head);
    }
    for (const l of helpLines) out.push(`${' '.repeat(HELP_POSITION)}${l}`);
  }
  return `${out.join('\n')}\n`;
}

function convert(o: OptionSpec, flag: string, raw: string): string | number {
  if (o.type === 'int') {
    if (!/^[-+]?\d+$/.test(raw.trim()))
      throw new UsageError(`option ${flag}: invalid integer value: '${raw}'`);
    return Number.parseInt(raw, 10);
  }
  if (o.type === 'float') {
    const v = Number(raw);
    if (raw.trim() === '' || Number.isNaN(v) || !/^[-+]?(\d|\.\d|inf|nan)/i.test(raw.trim())) {
      throw new UsageError(`option ${flag}: invalid floating-point value: '${raw}'`);
    }
    return v;
  }
  return raw;
}

function parse(spec: ParserSpec, argv: readonly string[]): Parsed | 'help' {
  const values: Record<string, string | number> = {};
  for (const o of spec.options) values[o.name] = o.default;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const given = eq < 0 ? arg : arg.slice(0, eq);
      const longs = ['--help', ...spec.options.map((o) => o.long)];
      const exact = longs.find((l) => l === given);
      const matches = exact !== undefined ? [exact] : longs.filter((l) => l.startsWith(given));
      if (matches.length === 0) throw new UsageError(`no such option: ${given}`);
      if (matches.length > 1) throw new UsageError(`ambiguous option: ${given} (${matches.join(', ')}?)`);
      const long = matches[0] as string;
      if (long === '--help') {
        if (eq >= 0) throw new UsageError('--help option does not take a value');
        return 'help';
      }
      const o = spec.options.find((x) => x.long === long) as OptionSpec;
      let raw: string;
      if (eq >= 0) raw = arg.slice(eq + 1);
      else if (i + 1 < argv.length) raw = argv[++i] as string;
      else throw new UsageError(`${long} option requires 1 argument`);
      values[o.name] = convert(o, long, raw);
    } else if (arg.startsWith('-') && arg !== '-') {
      const flag = arg.slice(0, 2);
      if (flag === '-h') return 'help';
      const o = spec.options.find((x) => x.short === flag);
      if (o === undefined) throw new UsageError(`no such option: ${flag}`);
      let raw: string;
      if (arg.length > 2) raw = arg.slice(2);
      else if (i + 1 < argv.length) raw = argv[++i] as string;
      else throw new UsageError(`${flag} option requires 1 argument`);
      values[o.name] = convert(o, flag, raw);
    } else {
      args.push(arg);
    }
  }
  return { values, args };
}

/**
 * Parses the command line (`process.argv` after the script by default). `--help` prints the help and
 * exits 0; a bad command line prints the usage and the error on stderr and exits 2.
 */
export function parseOptions(spec: ParserSpec, argv: readonly string[] = process.argv.slice(2)): Parsed {
  try {
    const r = parse(spec, argv);
    if (r === 'help') {
      process.stdout.write(helpText(spec));
      process.exit(0);
    }
    return r;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`Usage: ${prog()} [options]\n\n${prog()}: error: ${e.message}\n`);
    process.exit(2);
  }
}

/** The value of a string option. */
export const str = (p: Parsed, name: string): string => String(p.values[name]);
/** The value of a numeric option. */
export const num = (p: Parsed, name: string): number => Number(p.values[name]);

/**
 * The container an event came from, as a `Container` (the event types it only as what events need).
 */
export function containerOf(event: Event): Container {
  const c = event.container;
  if (!(c instanceof Container)) throw new TypeError(`${event.type}: the event has no Container`);
  return c;
}

/**
 * Runs the container to its end. Ctrl-C stops it and exits quietly with status 0 (as the Python
 * examples' `except KeyboardInterrupt: pass`), calling `onInterrupt` first if given; an exception a
 * handler throws is printed and exits 1.
 */
export async function runContainer(container: Container, onInterrupt?: () => void): Promise<void> {
  const interrupted = () => {
    onInterrupt?.();
    container.stop();
    process.exit(0);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await container.run();
  } catch (e) {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** A value as Python's `print(value)` shows it: strings as they are, anything else as its repr. */
export const pyStr = (value: unknown): string => (typeof value === 'string' ? value : pythonRepr(value));

/**
 * Listens on `url` for the handler's container; `then` receives the acceptor. A failure to listen (a
 * port in use) is printed and stops the container with exit status 1, as the Python examples' traceback.
 */
export function listenOrExit(container: Container, url: string, then: (a: Acceptor) => void): void {
  container.listen(url).then(then, (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
    container.stop();
  });
}

/** The requests the client examples send when given none: four lines of Jabberwocky. */
export const REQUESTS: readonly string[] = [
  'Twas brillig, and the slithy toves',
  'Did gire and gymble in the wabe.',
  'All mimsy were the borogroves,',
  'And the mome raths outgrabe.',
];
