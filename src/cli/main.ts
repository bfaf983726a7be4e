#!/usr/bin/env node
/**
 * The `proton-ts` command: `broker` runs the embedded broker, `send` and `receive` move messages,
 * `demo` (what `npm start` runs) shows the broker and a sender and receiver at work in one process.
 * Built on the public API only.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Broker } from '../broker/index.js';
import {
  Container,
  type Encodable,
  type Event,
  InvalidOptionError,
  Message,
  MessagingHandler,
  pythonRepr,
  Url,
} from '../index.js';

const USAGE = `usage: proton-ts <command> [options]

commands:
  broker  [--host H] [--port P]                 run the embedded broker
  send    URL [--count N] [--body TEXT]         send messages to URL (host:port/address)
  receive URL [--count N] [--timeout S]         receive messages from URL and print them
  demo                                          the broker, a sender and a receiver in one process
`;

/** A bad option or argument: the message names it; the command exits 2. */
class UsageError extends Error {}

function count(v: string | undefined, name: string): number {
  if (v === undefined) return 10;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`option --${name}: '${v}' is not a whole number`);
  return n;
}

class Send extends MessagingHandler {
  private sent = 0;
  confirmed = 0;
  constructor(
    private readonly url: string,
    private readonly total: number,
    private readonly body: (i: number) => Encodable,
    private readonly out: (line: string) => void,
  ) {
    super();
  }
  override onStart(e: Event): void {
    e.container.createSender(e.container.connect(this.url, { reconnect: false }), new Url(this.url).path);
  }
  override onSendable(e: Event): void {
    while (e.sender!.credit > 0 && this.sent < this.total) {
      this.sent++;
      e.sender!.send(new Message({ id: this.sent, body: this.body(this.sent) }));
    }
  }
  override onAccepted(e: Event): void {
    if (++this.confirmed === this.total) {
      this.out('all messages confirmed');
      e.connection!.close();
    }
  }
  override onDisconnected(): void {
    this.sent = this.confirmed;
  }
}

class Receive extends MessagingHandler {
  received = 0;
  constructor(
    private readonly url: string,
    private readonly total: number,
    private readonly out: (line: string) => void,
  ) {
    super();
  }
  override onStart(e: Event): void {
    e.container.createReceiver(e.container.connect(this.url, { reconnect: false }), new Url(this.url).path);
  }
  override onMessage(e: Event): void {
    this.out(pythonRepr(e.message!.body));
    if (++this.received === this.total) e.connection!.close();
  }
}

async function broker(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { host: { type: 'string' }, port: { type: 'string' } } });
  const container = new Container(new Broker(), { containerId: 'proton-ts-broker' });
  const acceptor = await container.listen(`${values.host ?? '0.0.0.0'}:${values.port ?? '5672'}`);
  process.stdout.write(`broker listening on ${values.host ?? '0.0.0.0'}:${acceptor.port}\n`);
  process.once('SIGINT', () => container.stop());
  process.once('SIGTERM', () => container.stop());
  await container.run();
}

async function send(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { count: { type: 'string' }, body: { type: 'string' } },
  });
  const url = positionals[0];
  if (url === undefined) throw new UsageError('send needs a URL (host:port/address)');
  const n = count(values.count, 'count');
  const text = values.body;
  await new Container(new Send(url, n, (i) => text ?? new Map([['sequence', i]]), print)).run();
}

async function receive(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { count: { type: 'string' }, timeout: { type: 'string' } },
  });
  const url = positionals[0];
  if (url === undefined) throw new UsageError('receive needs a URL (host:port/address)');
  const container = new Container(new Receive(url, count(values.count, 'count'), print));
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (!(s > 0)) throw new UsageError(`option --timeout: '${values.timeout}' is not a number of seconds`);
    setTimeout(() => container.stop(), s * 1000).unref();
  }
  await container.run();
}

/** `npm start`: the embedded broker on a free port, then a sender and a receiver through it. */
async function demo(): Promise<void> {
  const brokerContainer = new Container(new Broker(), { containerId: 'demo-broker' });
  const acceptor = await brokerContainer.listen('127.0.0.1:0');
  const running = brokerContainer.run();
  const url = `127.0.0.1:${acceptor.port}/examples`;
  print(`embedded broker listening on 127.0.0.1:${acceptor.port}`);
  print(`sending 5 messages to ${url}`);
  await new Container(
    new Send(
      url,
      5,
      (i) => new Map([['sequence', i]]),
      (l) => print(`  ${l}`),
    ),
  ).run();
  print(`receiving them from ${url}`);
  await new Container(new Receive(url, 5, (l) => print(`  ${l}`))).run();
  acceptor.close();
  brokerContainer.stop();
  await running;
  print('done: the broker, a sender and a receiver, all proton-ts');
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'broker':
        await broker(args);
        return 0;
      case 'send':
        await send(args);
        return 0;
      case 'receive':
        await receive(args);
        return 0;
      case 'demo':
        await demo();
        return 0;
      case undefined:
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof InvalidOptionError ||
      (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`proton-ts: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

// Run when executed (directly or through the bin link), not when imported.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`proton-ts: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
