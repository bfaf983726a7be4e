/**
 * A broker with users (SASL PLAIN, ANONYMOUS when asked for) and an optional ACL on a loopback port, as
 * `proton-ts broker --users F --acl F` serves it, plus a one-link client that records what the broker
 * did to it. Shared by the ACL tests (test/broker/acl.test.ts) and the security checks here.
 */
import { after } from 'node:test';
import { type Acl, Broker } from '../../src/broker/index.js';
import { Users } from '../../src/broker/users.js';
import {
  Condition,
  type ConnectOptions,
  Container,
  type Event,
  type Message,
  MessagingHandler,
  Rejected,
  type Sender,
} from '../../src/index.js';
import { keepingLogger } from '../broker/harness.js';

/** The users every secured broker knows, with their passwords. */
export const PASSWORDS = { alice: 'wonderland', bob: 'builder', svc: 's3rvice-pw' } as const;

export interface SecuredBroker {
  url: string;
  broker: Broker;
  logger: ReturnType<typeof keepingLogger>;
  /** Server transports closed after a failed SASL exchange, with the outcome code each sent. */
  failedCloses: number[];
  stop(): Promise<void>;
}

const running: SecuredBroker[] = [];
after(async () => {
  for (const b of running.splice(0)) await b.stop();
});

/** A broker with the users of {@link PASSWORDS} and `acl`; `anonymous` lets ANONYMOUS clients in too. */
export async function startSecuredBroker(acl?: Acl, anonymous = true): Promise<SecuredBroker> {
  const users = Users.parse(
    Object.entries(PASSWORDS)
      .map(([u, p]) => `${u}:PLAIN:${p}`)
      .join('\n'),
  );
  const logger = keepingLogger();
  const broker = new Broker({ logger, ...(acl === undefined ? {} : { acl }) });
  const failedCloses: number[] = [];
  // Beside the broker: sees the server side of each connection end.
  const watch = {
    onTransportClosed(e: Event): void {
      const outcome = e.transport?.sasl?.outcome;
      if (outcome !== undefined && outcome !== 0) failedCloses.push(outcome);
    },
  };
  const container = new Container(broker, watch, { containerId: 'secured-broker' });
  const acceptor = await container.listen('127.0.0.1:0', {
    sasl: {
      mechanisms: anonymous ? ['PLAIN', 'ANONYMOUS'] : ['PLAIN'],
      allowInsecureMechs: true,
      authenticate: (user, password, authzid) => users.authenticate(user, password, authzid),
      optional: anonymous,
    },
  });
  const done = container.run();
  const b: SecuredBroker = {
    url: `127.0.0.1:${acceptor.port}`,
    broker,
    logger,
    failedCloses,
    stop: async () => {
      container.stop();
      await done.catch(() => {});
    },
  };
  running.push(b);
  return b;
}

/**
 * How a client logs in: a user of {@link PASSWORDS} (or any name and password), anonymously, or not at
 * all (no SASL: the bare AMQP header).
 */
export type Login = { user: string; password: string } | 'anonymous' | 'no-sasl';

export const as = (user: keyof typeof PASSWORDS): Login => ({ user, password: PASSWORDS[user] });

/** What the one link does. */
export type LinkPlan =
  | { send: string | undefined; messages: Message[] } // undefined: the anonymous relay
  | { receive: string; count: number };

/** The condition of a rejected outcome, as `name: description`. */
function rejection(state: unknown): string {
  const c = state instanceof Rejected && state.error ? Condition.fromError(state.error) : undefined;
  return `rejected ${c?.name}: ${c?.description}`;
}

/**
 * One connection with one link: sends its messages (recording each outcome) or receives `count`
 * messages, then closes. A refused link, or a refused login, ends it too, recorded.
 */
export class Attempt extends MessagingHandler {
  readonly outcomes: string[] = [];
  readonly received: unknown[] = [];
  /** The link's error condition, `name: description`. */
  linkError: string | undefined;
  /** The transport's condition, and the SASL outcome code the client read. */
  transportError: string | undefined;
  saslOutcome: number | undefined;
  opened = false;
  private sent = 0;

  constructor(
    private readonly url: string,
    private readonly login: Login,
    private readonly plan: LinkPlan,
  ) {
    super({ prefetch: 10 });
  }

  override onStart(e: Event): void {
    const options: ConnectOptions =
      this.login === 'anonymous'
        ? { reconnect: false, allowedMechs: 'ANONYMOUS' }
        : this.login === 'no-sasl'
          ? { reconnect: false, saslEnabled: false }
          : { reconnect: false, ...this.login, allowedMechs: 'PLAIN', allowInsecureMechs: true };
    const conn = e.container.connect(this.url, options);
    if ('send' in this.plan) e.container.createSender(conn, this.plan.send);
    else e.container.createReceiver(conn, this.plan.receive);
  }

  override onConnectionOpened(): void {
    this.opened = true;
  }

  override onSendable(e: Event): void {
    if (!('send' in this.plan)) return;
    const s: Sender = e.sender!;
    while (s.credit > 0 && this.sent < this.plan.messages.length) s.send(this.plan.messages[this.sent++]!);
  }

  override onAccepted(e: Event): void {
    this.settled(e, 'accepted');
  }

  override onRejected(e: Event): void {
    this.settled(e, rejection(e.delivery?.remote));
  }

  private settled(e: Event, what: string): void {
    this.outcomes.push(what);
    if ('send' in this.plan && this.outcomes.length === this.plan.messages.length) e.connection!.close();
  }

  override onMessage(e: Event): void {
    this.received.push(e.message!.body);
    if ('receive' in this.plan && this.received.length === this.plan.count) e.connection!.close();
  }

  override onLinkError(e: Event): void {
    const c = e.link?.remoteCondition;
    this.linkError = `${c?.name}: ${c?.description}`;
    e.connection!.close();
  }

  override onTransportError(e: Event): void {
    this.transportError = `${e.transport?.condition?.name}: ${e.transport?.condition?.description}`;
    this.saslOutcome = e.transport?.sasl?.outcome;
  }
}

/** Runs handlers, each in its own container, to their end (or `ms`: then they are stopped). */
export async function run(...handlers: MessagingHandler[]): Promise<void> {
  await Promise.all(
    handlers.map(async (h) => {
      const c = new Container(h);
      const timer = setTimeout(() => c.stop(), 5000);
      try {
        await c.run();
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
