/**
 * Port of Proton's proton_server.py, the base class of abstract_server: a request/response service
 * with its own container. It connects when made (the network is touched once `run()` is called), and
 * has a receiver on the node `address` and one anonymous sender for the responses; each request's body
 * and `reply_to` go to {@link Server.onRequest}, which a subclass writes, answering with
 * {@link Server.send}. Not a program of its own.
 */
import {
  type Connection,
  Container,
  type Encodable,
  type Event,
  Message,
  MessagingHandler,
  type Sender,
} from '../src/index.js';
import { runContainer } from './options.js';

export abstract class Server extends MessagingHandler {
  protected readonly container: Container;
  protected readonly conn: Connection;
  protected readonly sender: Sender;

  constructor(host: string, address: string) {
    super();
    this.container = new Container(this);
    this.conn = this.container.connect(host);
    this.container.createReceiver(this.conn, address);
    this.sender = this.container.createSender(this.conn, undefined);
  }

  /** What to do with one request: `request` is its body, `replyTo` where the response goes. */
  abstract onRequest(request: Encodable, replyTo: string | undefined): void;

  override onMessage(event: Event): void {
    const m = event.message;
    if (m !== undefined) this.onRequest(m.body as Encodable, m.replyTo);
  }

  /** Runs the container until interrupted (or the connection ends). */
  run(): Promise<void> {
    return runContainer(this.container);
  }

  /** Sends `response` to `replyTo` over the anonymous sender. */
  send(response: Encodable, replyTo: string | undefined): void {
    this.sender.send(new Message({ body: response, address: replyTo }));
  }
}
