/**
 * RabbitMQ 3.10 answers some requests by ending the session with an error (a refused attach, a drain, the
 * modified outcome). {@link provokeSessionError} runs one application that provokes such an end and
 * records what it is told (link and session errors, with their conditions), then, without the session,
 * opens a new one on the same connection and receives from a queue there: the connection survives a
 * session's end, as the spec allows.
 */
import {
  type Connection,
  Container,
  type Event,
  type Message,
  MessagingHandler,
  type Receiver,
} from '../../../src/index.js';
import { runAll } from '../../support/container-harness.js';
import { PeerError } from './clients.js';

/** An error the application was told of. */
export interface Told {
  /** The link's name, for a link error. */
  link?: string;
  condition: string | undefined;
  description: string | undefined;
}

export interface SessionErrorRun {
  linkErrors: Told[];
  sessionErrors: Told[];
  /** Messages received on the links `provoke` opened. */
  before: Message[];
  /** Messages received on the new session, after the session error. */
  after: Message[];
  /** Whether the connection was still open when the new session's messages came. */
  connectionOpen: boolean;
}

export interface Provocation {
  /** Opens the links that lead RabbitMQ to end the session. */
  provoke(container: Container, connection: Connection): void;
  /** What to do with a message received on those links (settle it, say). */
  onMessage?(h: MessagingHandler, e: Event): void;
  /** What to do once a link of theirs is open (drain it, say). */
  onLinkOpened?(e: Event): void;
  /** The queue read on a new session after the session error, and how many messages to take. */
  afterwards: { address: string; count: number };
}

class Provoker extends MessagingHandler {
  readonly run: SessionErrorRun = {
    linkErrors: [],
    sessionErrors: [],
    before: [],
    after: [],
    connectionOpen: false,
  };
  error: PeerError | undefined = undefined;
  private afterReceiver: Receiver | undefined = undefined;

  constructor(
    private readonly url: string,
    private readonly p: Provocation,
  ) {
    super({ autoAccept: false });
  }

  override onStart(e: Event): void {
    this.p.provoke(e.container, e.container.connect(this.url));
  }

  override onLinkOpened(e: Event): void {
    if (e.link !== this.afterReceiver) this.p.onLinkOpened?.(e);
  }

  override onMessage(e: Event): void {
    if (e.receiver === this.afterReceiver) {
      this.accept(e.delivery!);
      this.run.after.push(e.message!);
      if (this.run.after.length === this.p.afterwards.count) {
        this.run.connectionOpen = e.connection!.remoteCondition === undefined;
        e.connection!.close();
      }
      return;
    }
    this.run.before.push(e.message!);
    if (this.p.onMessage) this.p.onMessage(this, e);
    else this.accept(e.delivery!);
  }

  // No default here: the defaults close the connection on a link or session error.
  override onLinkError(e: Event): void {
    const c = e.link!.remoteCondition;
    this.run.linkErrors.push({ link: e.link!.name, condition: c?.name, description: c?.description });
  }

  override onSessionError(e: Event): void {
    const c = e.session!.remoteCondition;
    this.run.sessionErrors.push({ condition: c?.name, description: c?.description });
    // Ending it here too (the default would, after this callback) makes the container's next link
    // open a new session on the same connection.
    e.session!.close();
    if (this.afterReceiver === undefined) {
      this.afterReceiver = e.container.createReceiver(e.connection!, this.p.afterwards.address);
    }
  }

  override onConnectionError(e: Event): void {
    const c = e.connection!.remoteCondition;
    this.error ??= new PeerError('connection', c?.name, c?.description);
  }

  override onTransportError(e: Event): void {
    const c = e.transport?.condition;
    this.error ??= new PeerError('transport', c?.name, c?.description);
    e.connection?.close();
  }
}

/** Runs the provocation to its end (the messages of `afterwards` received) and says what happened. */
export async function provokeSessionError(
  url: string,
  p: Provocation,
  timeoutMs = 20_000,
): Promise<SessionErrorRun> {
  const h = new Provoker(url, p);
  await runAll(timeoutMs, 'provoking a session error', new Container(h));
  if (h.error !== undefined) throw h.error;
  return h.run;
}
