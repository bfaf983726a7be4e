/** `proton-ts send URL`: sends messages, waits for them to be confirmed (unless presettled). */
import { readFileSync } from 'node:fs';
import { AtMostOnce, Container, type Event, Message, MessagingHandler } from '../index.js';
import {
  addressUrl,
  CommandFailed,
  type CommandIo,
  describeFailure,
  noMore,
  parse,
  UsageError,
  wholeNumber,
} from './args.js';
import { type Progress, progress } from './progress.js';

/** Sends `total` messages made by `make`; says so on `out` once they are all confirmed. */
export class Send extends MessagingHandler {
  private sent = 0;
  confirmed = 0;
  /** Why the connection failed, if it did. */
  failure: string | undefined = undefined;

  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly total: number,
    private readonly make: (i: number) => Message,
    private readonly out: (line: string) => void,
    private readonly presettled = false,
    private readonly bar: Progress = progress({ write: () => true }, '', 0),
  ) {
    super();
  }
  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, { reconnect: false });
    e.container.createSender(conn, this.address, {
      options: this.presettled ? [new AtMostOnce()] : [],
    });
    if (this.total === 0) this.done(e, 'no messages to send');
  }
  override onSendable(e: Event): void {
    while (e.sender!.credit > 0 && this.sent < this.total) {
      this.sent++;
      e.sender!.send(this.make(this.sent));
      if (this.presettled) this.bar.update(this.sent);
    }
    // At most once: nothing comes back to wait for.
    if (this.presettled && this.sent === this.total) this.done(e, `${this.total} messages sent (presettled)`);
  }
  override onAccepted(e: Event): void {
    this.bar.update(++this.confirmed);
    if (this.confirmed === this.total) this.done(e, 'all messages confirmed');
  }
  override onRejected(e: Event): void {
    this.failure = 'a message was rejected by the peer';
    this.bar.finish();
    e.connection!.close();
  }
  override onTransportError(e: Event): void {
    this.failure ??= describeFailure(e.transport?.condition);
    this.bar.finish();
  }
  /** A refused link (an ACL's amqp:unauthorized-access, say) is a failure, not a quiet exit 0. */
  override onLinkError(e: Event): void {
    this.failure ??= describeFailure(e.link?.remoteCondition);
    this.bar.finish();
    e.connection!.close();
  }
  override onDisconnected(): void {
    this.sent = this.confirmed;
  }
  private done(e: Event, line: string): void {
    this.bar.finish();
    this.out(line);
    e.connection!.close();
  }
}

export async function sendCommand(args: string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parse('send', args, {
    count: { type: 'string' },
    body: { type: 'string' },
    file: { type: 'string' },
    property: { type: 'string', multiple: true },
    durable: { type: 'boolean' },
    presettled: { type: 'boolean' },
  });
  const { url, address, display } = addressUrl('send', positionals[0]);
  noMore('send', positionals.slice(1));
  if (values.body !== undefined && values.file !== undefined)
    throw new UsageError('send: give --body or --file, not both');
  const n = wholeNumber('count', values.count, 10);
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
  const print = (line: string) => io.stdout.write(`${line}\n`);
  const bar = progress(io.stderr, 'send', n);
  const handler = new Send(url, address, n, make, print, values.presettled === true, bar);
  await new Container(handler).run();
  bar.finish();
  if (handler.failure !== undefined) throw new CommandFailed(`send to ${display}: ${handler.failure}`);
}
