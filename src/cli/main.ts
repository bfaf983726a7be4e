#!/usr/bin/env node
/**
 * The `proton-ts` command: `broker` runs the embedded broker, `send` and `receive` move messages,
 * `demo` (what `npm start` runs) shows the broker and a sender and receiver at work in one process.
 * Built on the public API only.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Broker } from '../broker/index.js';
import {
  AtMostOnce,
  Container,
  Copy,
  type Event,
  InvalidOptionError,
  Message,
  MessagingHandler,
  pythonRepr,
  Selector,
  Url,
} from '../index.js';

const USAGE = `usage: proton-ts <command> [options]

commands:
  broker  [--host H] [--port P]                 run the embedded broker
  send    URL [--count N] [--body TEXT | --file F] [--property k=v ...] [--durable] [--presettled]
                                                send messages to URL (host:port/address)
  receive URL [--count N] [--timeout S] [--selector S] [--browse] [--json]
                                                receive messages from URL and print them
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
    private readonly make: (i: number) => Message,
    private readonly out: (line: string) => void,
    private readonly presettled = false,
  ) {
    super();
  }
  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, { reconnect: false });
    e.container.createSender(conn, new Url(this.url).path, {
      options: this.presettled ? [new AtMostOnce()] : [],
    });
  }
  override onSendable(e: Event): void {
    while (e.sender!.credit > 0 && this.sent < this.total) {
      this.sent++;
      e.sender!.send(this.make(this.sent));
    }
    // At most once: nothing comes back to wait for.
    if (this.presettled && this.sent === this.total) {
      this.out(`${this.total} messages sent (presettled)`);
      e.connection!.close();
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
    private readonly options: { selector?: string; browse?: boolean; json?: boolean } = {},
  ) {
    super();
  }
  override onStart(e: Event): void {
    const o = this.options;
    const linkOptions = [
      ...(o.selector !== undefined ? [new Selector(o.selector)] : []),
      ...(o.browse ? [new Copy()] : []),
    ];
    const conn = e.container.connect(this.url, { reconnect: false });
    e.container.createReceiver(conn, new Url(this.url).path, { options: linkOptions });
  }
  override onMessage(e: Event): void {
    const m = e.message!;
    this.out(this.options.json ? JSON.stringify(asJson(m)) : pythonRepr(m.body));
    if (++this.received === this.total) e.connection!.close();
  }
}

/** A message as JSON: the fields that are set, with AMQP values in their JSON form. */
function asJson(m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined && v !== null) out[k] = v;
  };
  put('id', typeof m.id === 'bigint' ? m.id.toString() : m.id);
  put('address', m.address);
  put('subject', m.subject);
  put('correlationId', typeof m.correlationId === 'bigint' ? m.correlationId.toString() : m.correlationId);
  put('properties', m.properties);
  const body = m.body instanceof Uint8Array ? Buffer.from(m.body).toString('utf8') : m.body;
  put('body', body instanceof Map ? Object.fromEntries([...body].map(([k, v]) => [String(k), v])) : body);
  return JSON.parse(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
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
    options: {
      count: { type: 'string' },
      body: { type: 'string' },
      file: { type: 'string' },
      property: { type: 'string', multiple: true },
      durable: { type: 'boolean' },
      presettled: { type: 'boolean' },
    },
  });
  const url = positionals[0];
  if (url === undefined) throw new UsageError('send needs a URL (host:port/address)');
  if (values.body !== undefined && values.file !== undefined)
    throw new UsageError('give --body or --file, not both');
  const n = count(values.count, 'count');
  const properties: Record<string, string> = {};
  for (const p of values.property ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`option --property: '${p}' is not key=value`);
    properties[p.slice(0, eq)] = p.slice(eq + 1);
  }
  let file: Buffer | undefined;
  if (values.file !== undefined) {
    try {
      file = readFileSync(values.file);
    } catch (e) {
      throw new UsageError(`option --file: cannot read '${values.file}': ${(e as Error).message}`);
    }
  }
  const make = (i: number) =>
    new Message({
      id: i,
      durable: values.durable === true,
      properties,
      ...(file !== undefined
        ? { body: file, bodyKind: 'data' as const }
        : { body: values.body ?? new Map([['sequence', i]]) }),
    });
  await new Container(new Send(url, n, make, print, values.presettled === true)).run();
}

async function receive(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      count: { type: 'string' },
      timeout: { type: 'string' },
      selector: { type: 'string' },
      browse: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const url = positionals[0];
  if (url === undefined) throw new UsageError('receive needs a URL (host:port/address)');
  const options = { selector: values.selector, browse: values.browse === true, json: values.json === true };
  const container = new Container(new Receive(url, count(values.count, 'count'), print, options));
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
  const make = (i: number) => new Message({ id: i, body: new Map([['sequence', i]]) });
  await new Container(new Send(url, 5, make, (l) => print(`  ${l}`))).run();
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
