/**
 * Port of Proton's server_direct.py: the request/response service with no broker. It listens (on
 * `0.0.0.0:8888`), gives each sender link a client opens with a dynamic source a fresh UUID address (the
 * client's reply queue) and remembers it, and answers each request in upper case over the sender whose
 * address is the request's `reply_to` (`No link for reply` if there is none). Prints `Listening on
 * <url>` and `Received <message>` per request; runs until interrupted.
 *
 * Python's has no options; this one also takes `-a/--address` (default `0.0.0.0:8888`).
 */
import { randomUUID } from 'node:crypto';
import { Container, type Event, Message, MessagingHandler, type Sender } from '../src/index.js';
import { containerOf, listenOrExit, parseOptions, runContainer, str } from './options.js';

class Server extends MessagingHandler {
  private readonly senders = new Map<string, Sender>();

  constructor(private readonly url: string) {
    super();
  }

  override onStart(event: Event): void {
    console.log('Listening on', this.url);
    listenOrExit(containerOf(event), this.url, () => {});
  }

  override onLinkOpening(event: Event): void {
    const link = event.link;
    if (link === undefined) return;
    if (link.isSender) {
      const sender = link as Sender;
      if (link.remoteSource?.dynamic) {
        const address = randomUUID();
        link.source.address = address;
        this.senders.set(address, sender);
      } else if (link.remoteTarget?.address) {
        link.target.address = link.remoteTarget.address;
        this.senders.set(link.remoteTarget.address, sender);
      } else if (link.remoteSource !== undefined) {
        link.source.address = link.remoteSource.address;
      }
    } else if (link.remoteTarget !== undefined) {
      link.target.address = link.remoteTarget.address;
    }
  }

  override onMessage(event: Event): void {
    const request = event.message;
    if (request === undefined) return;
    console.log('Received', String(request));
    const sender = request.replyTo === undefined ? undefined : this.senders.get(request.replyTo);
    if (sender === undefined) {
      console.log('No link for reply');
      return;
    }
    const body = request.body;
    sender.send(
      new Message({
        address: request.replyTo,
        body: typeof body === 'string' ? body.toUpperCase() : body,
        correlationId: request.correlationId,
      }),
    );
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: '0.0.0.0:8888',
      help: 'address to listen on (default %default)',
    },
  ],
});
await runContainer(new Container(new Server(str(opts, 'address'))));
