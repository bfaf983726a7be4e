/**
 * The long-lived scenarios against RabbitMQ: a connection kept quiet for several idle timeouts
 * ({@link quietConnection}), and a sender and a receiver that carry on while the broker is stopped and
 * started again ({@link throughRestart}).
 */
import {
  Backoff,
  Container,
  type Delivery,
  Durability,
  type Event,
  LinkOption,
  Message,
  MessagingHandler,
  type Receiver,
  type Sender,
  State,
} from '../../../src/index.js';
import { runAll } from '../../support/container-harness.js';
import { PeerError } from './clients.js';

export interface QuietRun {
  /** The idle timeout RabbitMQ advertised, in ms. */
  remoteIdleTimeout: number;
  /** Heartbeats (empty frames) RabbitMQ sent while the connection was quiet. */
  heartbeatsIn: number;
  /** The frames we sent while quiet (our heartbeats: no message went out). */
  framesOut: number;
  /** The message sent and received on the same connection after the quiet time. */
  body: unknown;
}

/**
 * Opens one connection with our idle timeout `heartbeat` (ms), keeps it quiet for `quietMs`, then sends a
 * message to `address` and receives it on the same connection. Fails on any error, such as the
 * connection closed for being idle.
 */
export async function quietConnection(
  url: string,
  address: string,
  heartbeat: number,
  quietMs: number,
): Promise<QuietRun> {
  let error: PeerError | undefined;
  const run: QuietRun = { remoteIdleTimeout: 0, heartbeatsIn: 0, framesOut: 0, body: undefined };
  let startIn = 0;
  let startOut = 0;
  let opened = 0;
  const h = new (class extends MessagingHandler {
    override onStart(e: Event): void {
      const c = e.container.connect(url, { heartbeat });
      e.container.createReceiver(c, address);
      e.container.createSender(c, address);
    }
    override onLinkOpened(e: Event): void {
      if (++opened < 2) return;
      const t = e.transport ?? e.connection!.transport!;
      run.remoteIdleTimeout = t.remoteIdleTimeout;
      startIn = t.emptyFramesInput;
      startOut = t.framesOutput;
      const sender = e.connection!.links.find((l) => l.isSender) as Sender;
      e.container.schedule(quietMs, {
        onTimerTask: () => {
          run.heartbeatsIn = t.emptyFramesInput - startIn;
          run.framesOut = t.framesOutput - startOut;
          sender.send(new Message({ body: 'after the quiet' }));
        },
      });
    }
    override onMessage(e: Event): void {
      run.body = e.message!.body;
      e.connection!.close();
    }
    override onTransportError(e: Event): void {
      const c = e.transport?.condition;
      error ??= new PeerError('transport', c?.name, c?.description);
      e.connection?.close();
    }
    override onConnectionError(e: Event): void {
      const c = e.connection!.remoteCondition;
      error ??= new PeerError('connection', c?.name, c?.description);
      e.connection!.close();
    }
  })();
  await runAll(quietMs + 20_000, 'a quiet connection', new Container(h));
  if (error !== undefined) throw error;
  return run;
}

/** Whether a link is missing, or gone with its session (closed here, or ended by the peer). */
function gone(link: Sender | Receiver | undefined): boolean {
  return (
    link === undefined ||
    link.localState !== State.LOCAL_ACTIVE ||
    link.session.localState !== State.LOCAL_ACTIVE
  );
}

/** Makes a link's terminus durable, so that RabbitMQ declares a durable queue for `/queue/NAME`. */
class DurableNode extends LinkOption {
  override apply(link: { source: { durable: number }; target: { durable: number } }): void {
    link.source.durable = Durability.unsettledState;
    link.target.durable = Durability.unsettledState;
  }
}

export interface RestartRun {
  /** The bodies received (duplicates included), in order. */
  received: string[];
  /** How many times each client's connection was lost. */
  disconnects: { sender: number; receiver: number };
  /** How many times RabbitMQ ended each client's session. */
  sessionErrors: { sender: number; receiver: number };
  /** The messages the sender had in doubt when its link went (sent again). */
  inDoubt: number;
}

/**
 * A sender sends `count` persistent messages to a durable queue, one every `intervalMs`, while a
 * receiver takes them; both reconnect on their own. `restart()` is called once `restartAfter` messages
 * have been received (it stops and starts the broker). Resolves when every message has been received.
 */
export async function throughRestart(
  url: string,
  address: string,
  count: number,
  intervalMs: number,
  restartAfter: number,
  restart: () => Promise<void>,
  timeoutMs: number,
): Promise<RestartRun> {
  const run: RestartRun = {
    received: [],
    disconnects: { sender: 0, receiver: 0 },
    sessionErrors: { sender: 0, receiver: 0 },
    inDoubt: 0,
  };
  const distinct = new Set<string>();
  let next = 0;
  let restarting: Promise<void> | undefined;
  let restartError: unknown;
  const reconnect = new Backoff({ initial: 200, factor: 1.5, maxDelay: 1000 });

  // RabbitMQ's shutdown ends every session (amqp:internal-error "shutdown") before it drops the
  // connection, and the default reaction, as Proton's, is to close the connection, which would end the
  // reconnecting. Here the application keeps the connection, and once it is open again attaches its
  // link anew; messages not yet accepted are sent again on the new link.
  const sending = new (class extends MessagingHandler {
    private sender: Sender | undefined;
    private readonly unconfirmed = new Map<Delivery, string>();
    private readonly again: string[] = [];
    override onStart(e: Event): void {
      e.container.connect(url, { reconnect });
      e.container.schedule(intervalMs, this);
    }
    override onConnectionOpened(e: Event): void {
      if (gone(this.sender)) {
        this.sender = e.container.createSender(e.connection!, address, { options: new DurableNode() });
      }
    }
    // One message per tick while the link is up and has credit; none while the broker is away.
    onTimerTask(e: Event): void {
      const s = this.sender;
      // (A link whose session ended still takes a send, which goes nowhere: check the session too.)
      if (s !== undefined && !gone(s) && s.remoteState === State.REMOTE_ACTIVE) {
        if (s.credit > 0 && (this.again.length > 0 || next < count)) {
          const body = this.again.shift() ?? `message ${next++}`;
          this.unconfirmed.set(s.send(new Message({ durable: true, body })), body);
        }
      }
      if (next < count || this.again.length > 0 || this.unconfirmed.size > 0) {
        e.container.schedule(intervalMs, this);
      }
    }
    override onAccepted(e: Event): void {
      this.unconfirmed.delete(e.delivery!);
    }
    private lost(): void {
      run.inDoubt += this.unconfirmed.size;
      this.again.push(...this.unconfirmed.values());
      this.unconfirmed.clear();
    }
    override onSessionError(): void {
      run.sessionErrors.sender++;
      this.lost();
    }
    override onDisconnected(): void {
      run.disconnects.sender++;
      this.lost();
    }
  })();

  const receiving = new (class extends MessagingHandler {
    private receiver: Receiver | undefined;
    override onStart(e: Event): void {
      e.container.connect(url, { reconnect });
    }
    override onConnectionOpened(e: Event): void {
      if (gone(this.receiver)) {
        this.receiver = e.container.createReceiver(e.connection!, address, { options: new DurableNode() });
      }
    }
    override onSessionError(): void {
      run.sessionErrors.receiver++;
    }
    override onDisconnected(): void {
      run.disconnects.receiver++;
    }
    override onMessage(e: Event): void {
      const body = String(e.message!.body);
      run.received.push(body);
      distinct.add(body);
      if (distinct.size === restartAfter && restarting === undefined) {
        restarting = restart().catch((err) => {
          restartError = err;
        });
      }
      if (distinct.size === count) {
        e.connection!.close();
        // Every message is in: the sender has nothing left to do (some outcomes may still be on the way).
        senders.stop();
      }
    }
  })();

  const senders = new Container(sending);
  await runAll(
    timeoutMs,
    () => `through a restart: ${distinct.size} of ${count} received`,
    senders,
    new Container(receiving),
  );
  await restarting;
  if (restartError !== undefined) throw restartError;
  return run;
}
