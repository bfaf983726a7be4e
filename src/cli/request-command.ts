/**
 * `proton-ts request URL BODY`: request and response, as Proton's client examples do it. A receiver with a
 * dynamic source gives the reply address; once the peer has named it, the request goes to URL's address
 * with `reply_to` set to it and a correlation id; the first reply with that correlation id (or none, from
 * servers that do not copy it) is printed and the command ends. No reply within the timeout: exit 1.
 */
import { randomUUID } from 'node:crypto';
import {
  Container,
  type Event,
  Message,
  MessagingHandler,
  pythonRepr,
  type Receiver,
  type Sender,
} from '../index.js';
import {
  addressUrl,
  CommandFailed,
  type CommandIo,
  describeFailure,
  noMore,
  parse,
  seconds,
  UsageError,
} from './args.js';

/** The default time to wait for the reply, in ms. */
const DEFAULT_TIMEOUT = 10_000;

export class Request extends MessagingHandler {
  /** The reply's body, once it came. */
  reply: { body: unknown } | undefined = undefined;
  failure: string | undefined = undefined;
  private sender: Sender | undefined = undefined;
  private receiver: Receiver | undefined = undefined;
  private readonly correlationId = randomUUID();

  constructor(
    private readonly url: string,
    private readonly address: string,
    private readonly body: string,
  ) {
    super();
  }

  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, { reconnect: false });
    this.receiver = e.container.createReceiver(conn, undefined, { dynamic: true });
    this.sender = e.container.createSender(conn, this.address);
  }

  override onLinkOpened(e: Event): void {
    if (e.receiver === undefined || e.receiver !== this.receiver) return;
    const replyTo = this.receiver.remoteSource?.address;
    if (!replyTo) {
      this.failure = 'the peer gave the dynamic receiver no address to reply to';
      e.connection!.close();
      return;
    }
    // The sender queues it until it has credit.
    this.sender!.send(new Message({ replyTo, correlationId: this.correlationId, body: this.body }));
  }

  override onMessage(e: Event): void {
    const m = e.message!;
    if (m.correlationId !== undefined && m.correlationId !== null && m.correlationId !== this.correlationId)
      return;
    this.reply = { body: m.body };
    e.connection!.close();
  }

  override onRejected(e: Event): void {
    this.failure = 'the request was rejected by the peer';
    e.connection!.close();
  }

  override onLinkError(e: Event): void {
    this.failure ??= describeFailure(e.link?.remoteCondition);
    e.connection!.close();
  }

  override onTransportError(e: Event): void {
    this.failure ??= describeFailure(e.transport?.condition);
  }
}

/** A reply body as a line: text as it is, anything else as Proton Python prints it. */
function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return pythonRepr(body);
}

export async function requestCommand(args: string[], io: CommandIo): Promise<void> {
  const { values, positionals } = parse('request', args, { timeout: { type: 'string' } });
  const { url, address, display } = addressUrl('request', positionals[0]);
  const body = positionals[1];
  if (body === undefined) throw new UsageError('request needs a BODY after the URL');
  noMore('request', positionals.slice(2));
  const timeout = seconds('timeout', values.timeout, DEFAULT_TIMEOUT)!;
  const handler = new Request(url, address, body);
  const container = new Container(handler);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    container.stop();
  }, timeout);
  try {
    await container.run();
  } finally {
    clearTimeout(timer);
  }
  if (handler.reply !== undefined) {
    io.stdout.write(`${bodyText(handler.reply.body)}\n`);
    return;
  }
  if (timedOut) throw new CommandFailed(`request to ${display}: no reply within ${timeout / 1000} s`);
  throw new CommandFailed(
    `request to ${display}: ${handler.failure ?? 'the connection ended before the reply'}`,
  );
}
