/**
 * RR_SERVER (bench contract): takes one connection; every request arriving is accepted and answered
 * with a message whose correlation-id is the request's message-id and whose body is the request's, on
 * the link the client attached to receive. Prints {"served":K} when the client closes.
 */
import {
  type Acceptor,
  Container,
  type Event,
  Message,
  MessagingHandler,
  type Sender,
} from '../src/index.js';
import { exitSoon, listenOrExit, parsePeerArgs, printJson } from './peer-args.js';

const o = parsePeerArgs();

class Server extends MessagingHandler {
  private acceptor: Acceptor | undefined;
  private reply: Sender | undefined;
  private served = 0;
  private stopped = false;

  override onStart(event: Event): void {
    listenOrExit(event.container, o, (a) => {
      this.acceptor = a;
    });
  }

  override onLinkOpening(event: Event): void {
    const link = event.link;
    if (link?.isSender) {
      this.reply = link as Sender;
      link.source.address = link.remoteSource?.address;
    } else if (link !== undefined) link.target.address = link.remoteTarget?.address;
  }

  override onMessage(event: Event): void {
    const request = event.message;
    if (request === undefined || this.reply === undefined) return;
    const m = new Message();
    m.correlationId = request.id;
    m.body = request.body;
    m.bodyKind = request.bodyKind;
    this.reply.send(m);
    this.served++;
  }

  override onConnectionClosing(): void {
    this.stop();
  }

  override onDisconnected(): void {
    this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.acceptor?.close();
    printJson({ served: this.served });
    exitSoon(0, 1000);
  }
}

await new Container(new Server({ prefetch: o.credit })).run();
