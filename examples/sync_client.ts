/**
 * The closest equivalent of Proton's sync_client.py, which uses the blocking API (`BlockingConnection`
 * and `SyncRequestResponse`): proton-ts has no blocking API, since Node cannot block its event loop.
 * This one does the same sequentially with the event API: it sends one request at a time (correlation
 * ids `'1'`, `'2'`...) to the node of `-a`, with `reply_to` the address of a dynamic receiver, waits for
 * its response before the next, and prints `<request> => <response>`. Where `client.call()` gives up
 * after `-t` seconds, this prints an error and exits 1 if a connection, a link or a response takes
 * longer than that.
 */
import {
  Container,
  type Event,
  Message,
  MessagingHandler,
  type Receiver,
  type Sender,
  type Task,
  Url,
} from '../src/index.js';
import { ADDRESS_TO, containerOf, num, parseOptions, pyStr, REQUESTS, runContainer, str } from './options.js';

class SyncClient extends MessagingHandler {
  private readonly url: Url;
  private container: Container | undefined;
  private sender: Sender | undefined;
  private receiver: Receiver | undefined;
  private timer: Task | undefined;
  private index = 0;

  constructor(
    url: string,
    private readonly timeoutMs: number,
    private readonly requests: readonly string[],
  ) {
    super();
    this.url = new Url(url);
  }

  /** (Re)starts the time limit on what is awaited now. */
  private arm(what: string): void {
    this.timer?.cancel();
    this.timer = this.container?.schedule(this.timeoutMs, {
      onTimerTask: () => {
        console.error(`Timeout: no ${what} from ${String(this.url)} after ${this.timeoutMs / 1000}s`);
        process.exitCode = 1;
        this.container?.stop();
      },
    });
  }

  override onStart(event: Event): void {
    this.container = containerOf(event);
    const conn = this.container.connect(this.url, { reconnect: false });
    this.sender = this.container.createSender(conn, this.url.path);
    this.receiver = this.container.createReceiver(conn, undefined, { dynamic: true });
    this.arm('reply address');
  }

  override onLinkOpened(event: Event): void {
    if (event.receiver !== undefined && event.receiver === this.receiver) this.call();
  }

  private call(): void {
    const replyTo = this.receiver?.remoteSource?.address;
    if (!replyTo || this.sender === undefined) return;
    this.sender.send(
      new Message({ replyTo, correlationId: String(this.index + 1), body: this.requests[this.index] }),
    );
    this.arm('response');
  }

  override onMessage(event: Event): void {
    const response = event.message;
    if (response === undefined || response.correlationId !== String(this.index + 1)) return;
    console.log(`${this.requests[this.index]} => ${pyStr(response.body)}`);
    this.index += 1;
    if (this.index < this.requests.length) this.call();
    else {
      this.timer?.cancel();
      event.connection?.close();
    }
  }

  override onTransportError(event: Event): void {
    const condition = event.transport?.condition;
    console.error(`Connection ${String(this.url)} disconnected: ${String(condition)}`);
    process.exitCode = 1;
    this.timer?.cancel();
    this.container?.stop();
  }
}

const opts = parseOptions({
  description: 'Send requests to the supplied address and print responses.',
  options: [
    ADDRESS_TO(),
    {
      name: 'timeout',
      short: '-t',
      long: '--timeout',
      type: 'float',
      default: 5,
      help: 'Give up after this time out (default %default)',
    },
  ],
});
await runContainer(
  new Container(new SyncClient(str(opts, 'address'), num(opts, 'timeout') * 1000, REQUESTS)),
);
