/** `proton-ts receive URL`: receives messages and prints them, one a line. */
import {
  Container,
  Copy,
  type Event,
  type Message,
  MessagingHandler,
  pythonRepr,
  Selector,
} from '../index.js';
import {
  addressUrl,
  CommandFailed,
  type CommandIo,
  describeFailure,
  noMore,
  parse,
  seconds,
  wholeNumber,
} from './args.js';
import { type Progress, progress } from './progress.js';

export interface ReceiveOptions {
  selector?: string | undefined;
  browse?: boolean;
  json?: boolean;
  bar?: Progress;
}

/** Receives `total` messages, printing each on `out`. */
export class Receive extends MessagingHandler {
  received = 0;
  failure: string | undefined = undefined;

  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly total: number,
    private readonly out: (line: string) => void,
    private readonly options: ReceiveOptions = {},
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
    e.container.createReceiver(conn, this.address, { options: linkOptions });
  }
  override onMessage(e: Event): void {
    const m = e.message!;
    this.out(this.options.json ? JSON.stringify(asJson(m)) : pythonRepr(m.body));
    // Counted apart from the bar: `bar?.update(++n)` would skip the count with no bar.
    this.received++;
    this.options.bar?.update(this.received);
    if (this.received === this.total) {
      this.options.bar?.finish();
      e.connection!.close();
    }
  }
  override onTransportError(e: Event): void {
    this.failure ??= describeFailure(e.transport?.condition);
    this.options.bar?.finish();
  }
  override onLinkError(e: Event): void {
    this.failure ??= describeFailure(e.link?.remoteCondition);
    e.connection!.close();
  }
}

/** A message as JSON: the fields that are set, with AMQP values in their JSON form. */
export function asJson(m: Message): Record<string, unknown> {
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

export async function receiveCommand(args: string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parse('receive', args, {
    count: { type: 'string' },
    timeout: { type: 'string' },
    selector: { type: 'string' },
    browse: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const { url, address, display } = addressUrl('receive', positionals[0]);
  noMore('receive', positionals.slice(1));
  const n = wholeNumber('count', values.count, 10);
  const timeout = seconds('timeout', values.timeout);
  const bar = progress(io.stderr, 'receive', n);
  const options = {
    selector: values.selector,
    browse: values.browse === true,
    json: values.json === true,
    bar,
  };
  const handler = new Receive(url, address, n, (l) => io.stdout.write(`${l}\n`), options);
  const container = new Container(handler);
  // Receiving until the timeout is a normal end, not a failure.
  const timer = timeout === undefined ? undefined : setTimeout(() => container.stop(), timeout);
  try {
    await container.run();
  } finally {
    clearTimeout(timer);
    bar.finish();
  }
  if (handler.failure !== undefined) throw new CommandFailed(`receive from ${display}: ${handler.failure}`);
}
