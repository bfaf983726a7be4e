/**
 * Issue 8: the broker's ACL (who may send to and receive from which addresses) and the counting of
 * failed logins. The parser alone, then a real broker with users and real client connections.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Acl, AclFileError } from '../../src/broker/index.js';
import {
  type Connection,
  type Event,
  Message,
  MessagingHandler,
  type Receiver,
  type Sender,
} from '../../src/index.js';
import {
  Attempt,
  as,
  PASSWORDS,
  run,
  type SecuredBroker,
  startSecuredBroker,
} from '../security/secured-broker.js';
import { messages, until } from './harness.js';

const UNAUTHORIZED = 'amqp:unauthorized-access';

describe('Acl: the file', () => {
  it('parses rules, skipping comments and blank lines; a user may hold spaces', () => {
    const acl = Acl.parse(
      [
        '# who may do what',
        'alice send orders',
        '',
        '   bob\treceive   orders  ',
        'CN=Test Client,O=Acme both certs.*',
        '* receive public.?',
        'anonymous send drop',
      ].join('\r\n'),
    );
    assert.equal(acl.size, 5);
    assert.deepEqual(acl.rules[1], { user: 'bob', actions: ['receive'], pattern: 'orders' });
    assert.deepEqual(acl.rules[2], {
      user: 'CN=Test Client,O=Acme',
      actions: ['send', 'receive'],
      pattern: 'certs.*',
    });
    assert.equal(acl.allows('alice', 'send', 'orders'), true);
    assert.equal(acl.allows('alice', 'receive', 'orders'), false, 'send only');
    assert.equal(acl.allows('bob', 'receive', 'orders'), true);
    assert.equal(acl.allows('bob', 'send', 'orders'), false);
    assert.equal(acl.allows('CN=Test Client,O=Acme', 'send', 'certs.a/b.c'), true, '* spans . and /');
    assert.equal(acl.allows('CN=Test Client,O=Acme', 'receive', 'certs.'), true, '* matches none');
    assert.equal(acl.allows('CN=Test Client,O=Acme', 'receive', 'certsx'), false);
    assert.equal(acl.allows('carol', 'receive', 'public.1'), true, '* is any user');
    assert.equal(acl.allows(undefined, 'receive', 'public.x'), true, 'anonymous included');
    assert.equal(acl.allows('carol', 'receive', 'public.12'), false, '? is one character');
    assert.equal(acl.allows('carol', 'receive', 'public.'), false);
    assert.equal(acl.allows('carol', 'send', 'public.1'), false);
    assert.equal(acl.allows(undefined, 'send', 'drop'), true, 'no user name is anonymous');
    assert.equal(acl.allows('alice', 'send', 'drop'), false);
    assert.equal(acl.allows('nobody', 'send', 'orders'), false, 'default deny');
  });

  it('patterns are literal but for * and ?', () => {
    const acl = Acl.of(['u both a.b+(c)[d]^$|\\x', 'u send *', 'v receive ?']);
    assert.equal(acl.allows('u', 'receive', 'a.b+(c)[d]^$|\\x'), true);
    assert.equal(acl.allows('u', 'receive', 'aXb+(c)[d]^$|\\x'), false, 'a dot is a dot');
    assert.equal(acl.allows('u', 'send', ''), true);
    assert.equal(acl.allows('u', 'send', 'any\nthing'), true);
    assert.equal(acl.allows('v', 'receive', 'é'), true, 'one code point');
    assert.equal(acl.allows('v', 'receive', 'ab'), false);
  });

  it('an empty file denies everything', () => {
    const acl = Acl.parse('# nothing yet\n\n');
    assert.equal(acl.size, 0);
    assert.equal(acl.allows('alice', 'send', 'q'), false);
    assert.equal(acl.allows(undefined, 'receive', 'q'), false);
  });

  it('refuses a line that is not a rule, naming the file and the line', () => {
    const cases: [string, RegExp][] = [
      ['alice', /expected USER ACTION PATTERN, found 'alice'/],
      ['alice send', /expected USER ACTION PATTERN/],
      ['alice publish orders', /unknown action 'publish' \(send, receive or both\)/],
      ['alice SEND orders', /unknown action 'SEND'/],
      ['alice constructor orders', /unknown action 'constructor'/],
    ];
    for (const [line, pattern] of cases) {
      assert.throws(
        () => Acl.parse(`# header\n\n${line}\n`, '/etc/acl'),
        (e: unknown) => {
          assert.ok(e instanceof AclFileError, line);
          assert.equal(e.line, 3, line);
          assert.equal(e.file, '/etc/acl');
          assert.match(e.message, /^\/etc\/acl, line 3: /);
          assert.match(e.message, pattern, line);
          return true;
        },
      );
    }
  });

  it('load reads a file, and names it when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proton-ts-acl-'));
    try {
      const f = join(dir, 'acl');
      writeFileSync(f, 'alice both *\n');
      assert.equal(Acl.load(f).allows('alice', 'send', 'x'), true);
      assert.throws(() => Acl.load(join(dir, 'missing')), /missing: cannot read: ENOENT/);
      writeFileSync(f, 'alice both *\nbob\n');
      assert.throws(
        () => Acl.load(f),
        (e: unknown) => e instanceof AclFileError && e.line === 2,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const RULES = [
  'alice send orders',
  'alice send requests',
  'bob receive orders',
  'bob both bob.*',
  'svc receive requests',
  'svc send dynamic-*',
  '* both public.?',
  'anonymous receive news',
  'alice send news',
];

/** The bodies waiting in a node of the broker. */
const queued = (b: SecuredBroker, address: string) =>
  b.broker.nodes.get(address)?.messages.map((e) => e.message.body);

/** The warnings the broker logged. */
const warnings = (b: SecuredBroker) => b.logger.lines.filter((l) => l.startsWith('warn: '));

describe('Acl: a broker with users and an ACL', { timeout: 30_000 }, () => {
  it('a user sends where allowed; elsewhere the link is refused, naming the user and the address', async () => {
    const b = await startSecuredBroker(Acl.of(RULES));
    const allowed = new Attempt(b.url, as('alice'), { send: 'orders', messages: messages(2) });
    const denied = new Attempt(b.url, as('alice'), { send: 'payments', messages: messages(1) });
    await run(allowed, denied);
    assert.deepEqual(allowed.outcomes, ['accepted', 'accepted']);
    assert.equal(allowed.linkError, undefined);
    assert.deepEqual(queued(b, 'orders'), ['m1', 'm2']);
    assert.equal(denied.opened, true, 'the connection is fine, only the link is refused');
    assert.equal(denied.linkError, `${UNAUTHORIZED}: user 'alice' may not send to 'payments'`);
    assert.deepEqual(denied.outcomes, []);
    assert.equal(b.broker.nodes.has('payments'), false, 'no node was made for it');
    assert.equal(b.broker.stats.accessDenied, 1);
    assert.deepEqual(warnings(b), ["warn: access denied: user 'alice' may not send to 'payments'"]);
  });

  it('receiving needs a receive rule: bob may take from orders, alice may not', async () => {
    const b = await startSecuredBroker(Acl.of(RULES));
    await run(new Attempt(b.url, as('alice'), { send: 'orders', messages: messages(3) }));
    const alice = new Attempt(b.url, as('alice'), { receive: 'orders', count: 1 });
    await run(alice);
    assert.equal(alice.linkError, `${UNAUTHORIZED}: user 'alice' may not receive from 'orders'`);
    assert.deepEqual(alice.received, []);
    const bob = new Attempt(b.url, as('bob'), { receive: 'orders', count: 3 });
    await run(bob);
    assert.equal(bob.linkError, undefined);
    assert.deepEqual(bob.received, ['m1', 'm2', 'm3']);
    assert.equal(b.broker.stats.accessDenied, 1);
  });

  it('the anonymous relay checks each message: a denied one is rejected, the others go', async () => {
    const b = await startSecuredBroker(Acl.of(RULES));
    const to = ['orders', 'payments', 'public.1', 'bob.inbox'];
    const relay = new Attempt(b.url, as('alice'), {
      send: undefined,
      messages: to.map((address, i) => new Message({ address, body: `r${i}` })),
    });
    await run(relay);
    assert.equal(relay.linkError, undefined, 'the relay link itself is allowed');
    assert.deepEqual(relay.outcomes, [
      'accepted',
      `rejected ${UNAUTHORIZED}: user 'alice' may not send to 'payments'`,
      'accepted',
      `rejected ${UNAUTHORIZED}: user 'alice' may not send to 'bob.inbox'`,
    ]);
    assert.deepEqual(queued(b, 'orders'), ['r0']);
    assert.deepEqual(queued(b, 'public.1'), ['r2']);
    assert.equal(b.broker.nodes.has('payments'), false);
    assert.equal(b.broker.nodes.has('bob.inbox'), false);
    assert.equal(b.broker.stats.accessDenied, 2);
  });

  it('wildcards: * for any run of characters, ? for one, * as the user for everyone', async () => {
    const b = await startSecuredBroker(Acl.of(RULES));
    const send = new Attempt(b.url, as('bob'), { send: 'bob.a/b.c', messages: messages(1) });
    const everyone = new Attempt(b.url, as('svc'), { send: 'public.z', messages: messages(1) });
    const tooLong = new Attempt(b.url, as('svc'), { send: 'public.zz', messages: messages(1) });
    await run(send, everyone, tooLong);
    assert.deepEqual([send.outcomes, everyone.outcomes], [['accepted'], ['accepted']]);
    assert.equal(tooLong.linkError, `${UNAUTHORIZED}: user 'svc' may not send to 'public.zz'`);
    const receive = new Attempt(b.url, as('bob'), { receive: 'bob.a/b.c', count: 1 });
    const other = new Attempt(b.url, 'anonymous', { receive: 'public.z', count: 1 });
    await run(receive, other);
    assert.deepEqual([receive.received, other.received], [['m1'], ['m1']]);
  });

  it('an anonymous client is the user anonymous, and a * rule covers it', async () => {
    const b = await startSecuredBroker(Acl.of(RULES));
    await run(new Attempt(b.url, as('alice'), { send: 'news', messages: messages(1) }));
    const reader = new Attempt(b.url, 'anonymous', { receive: 'news', count: 1 });
    const writer = new Attempt(b.url, 'anonymous', { send: 'news', messages: messages(1) });
    await run(reader, writer);
    assert.deepEqual(reader.received, ['m1']);
    assert.equal(writer.linkError, `${UNAUTHORIZED}: user 'anonymous' may not send to 'news'`);
  });

  it('request and response: the requester receives from its own dynamic node, no rule needed', async () => {
    const b = await startSecuredBroker(Acl.of(RULES));
    const server = new Responder(b.url);
    const serving = run(server);
    await until(() => server.ready, 3000, 'the responder to attach');
    const requester = new Requester(b.url);
    await run(requester);
    assert.deepEqual(requester.replies, ['HELLO']);
    assert.match(requester.replyTo ?? '', /^dynamic-/);
    // Another user may neither attach to that node by its address nor relay into it.
    const thief = new Attempt(b.url, as('bob'), { receive: requester.replyTo!, count: 1 });
    await run(thief);
    assert.equal(thief.linkError, `${UNAUTHORIZED}: user 'bob' may not receive from '${requester.replyTo}'`);
    server.stop();
    await serving;
  });

  it('without an ACL everyone may do everything (nothing changes)', async () => {
    const b = await startSecuredBroker();
    const s = new Attempt(b.url, 'anonymous', { send: 'anything', messages: messages(1) });
    await run(s);
    assert.deepEqual(s.outcomes, ['accepted']);
    assert.equal(b.broker.stats.accessDenied, 0);
  });
});

/** svc: answers each request on `requests` with its body in upper case, through the anonymous relay. */
class Responder extends MessagingHandler {
  ready = false;
  private relay: Sender | undefined;
  private conn: Connection | undefined;
  constructor(private readonly url: string) {
    super();
  }
  override onStart(e: Event): void {
    this.conn = e.container.connect(this.url, {
      reconnect: false,
      user: 'svc',
      password: PASSWORDS.svc,
      allowedMechs: 'PLAIN',
      allowInsecureMechs: true,
    });
    e.container.createReceiver(this.conn, 'requests');
    this.relay = e.container.createSender(this.conn, undefined);
  }
  override onLinkOpened(e: Event): void {
    if (e.receiver !== undefined) this.ready = true;
  }
  override onMessage(e: Event): void {
    const m = e.message!;
    this.relay!.send(new Message({ address: m.replyTo, body: String(m.body).toUpperCase() }));
  }
  stop(): void {
    this.conn?.close();
  }
}

/** alice: a dynamic receiver for replies, and one request to `requests`. */
class Requester extends MessagingHandler {
  readonly replies: unknown[] = [];
  replyTo: string | undefined;
  private receiver: Receiver | undefined;
  constructor(private readonly url: string) {
    super();
  }
  override onStart(e: Event): void {
    const conn = e.container.connect(this.url, {
      reconnect: false,
      user: 'alice',
      password: PASSWORDS.alice,
      allowedMechs: 'PLAIN',
      allowInsecureMechs: true,
    });
    this.receiver = e.container.createReceiver(conn, undefined, { dynamic: true });
  }
  override onLinkOpened(e: Event): void {
    if (e.receiver !== this.receiver) return;
    this.replyTo = this.receiver!.remoteSource?.address;
    const sender = e.container.createSender(e.connection!, 'requests');
    sender.send(new Message({ replyTo: this.replyTo, body: 'hello' }));
  }
  override onMessage(e: Event): void {
    this.replies.push(e.message!.body);
    e.connection!.close();
  }
  override onLinkError(e: Event): void {
    this.replies.push(`link error ${e.link?.remoteCondition?.description}`);
    e.connection!.close();
  }
}

describe('failed logins', { timeout: 30_000 }, () => {
  it('each is closed with amqp:unauthorized-access, counted, and logged naming the user', async () => {
    const b = await startSecuredBroker(Acl.of(RULES));
    const wrong = (user: string, password: string) =>
      new Attempt(b.url, { user, password }, { send: 'orders', messages: messages(1) });
    // Three in a row, then an unknown user, then three at once.
    const tries: Attempt[] = [];
    for (let i = 0; i < 3; i++) {
      const a = wrong('alice', `not-the-password-${i}`);
      await run(a);
      tries.push(a);
    }
    tries.push(wrong('mallory', 'guess-123'));
    await run(tries.at(-1)!);
    const together = [wrong('bob', 'x-1'), wrong('bob', 'x-2'), wrong('svc', PASSWORDS.alice)];
    await run(...together);
    tries.push(...together);
    for (const a of tries) {
      assert.equal(a.opened, false);
      assert.match(a.transportError ?? '', /^amqp:unauthorized-access: /);
      assert.equal(a.saslOutcome, 1, 'the SASL outcome: auth (1)');
      assert.deepEqual(a.outcomes, []);
    }
    assert.equal(b.broker.stats.authFailures, 7);
    // The broker closed each of those connections itself.
    await until(() => b.failedCloses.length === 7, 3000, 'the server transports to close');
    assert.deepEqual(b.failedCloses, [1, 1, 1, 1, 1, 1, 1]);
    assert.equal(b.broker.connections.size, 0);
    const logged = warnings(b).filter((l) => l.includes('login failed'));
    assert.equal(logged.length, 7);
    assert.match(logged[0]!, /^warn: login failed \(1 since start\): .*user 'alice'/);
    assert.match(logged[3]!, /\(4 since start\): .*user 'mallory'/);
    const text = b.logger.lines.join('\n');
    for (const secret of ['not-the-password', 'guess-123', 'x-1', PASSWORDS.alice]) {
      assert.ok(!text.includes(secret), `no password in the log: ${secret}`);
    }
    // The broker lives on: the right password still works, and is not counted.
    const good = new Attempt(b.url, as('alice'), { send: 'orders', messages: messages(1) });
    await run(good);
    assert.deepEqual(good.outcomes, ['accepted']);
    assert.equal(b.broker.stats.authFailures, 7);
    assert.equal(b.broker.stats.accessDenied, 0, 'a refused login is not an ACL denial');
  });

  it('a client that skips SASL where it is required is refused, but no login failed', async () => {
    const b = await startSecuredBroker(undefined, false);
    const bare = new Attempt(b.url, 'no-sasl', { receive: 'q', count: 1 });
    const anon = new Attempt(b.url, 'anonymous', { receive: 'q', count: 1 });
    await run(bare, anon);
    assert.equal(bare.opened, false);
    assert.match(bare.transportError ?? '', /^amqp:connection:framing-error: /);
    assert.equal(anon.opened, false, 'ANONYMOUS is not offered: the client gives up itself');
    assert.equal(b.broker.stats.authFailures, 0, 'no SASL outcome was sent: nothing to count');
  });

  it('a user name cannot forge log lines', async () => {
    const b = await startSecuredBroker();
    await run(new Attempt(b.url, { user: 'eve\nwarn: forged', password: 'pw' }, { receive: 'q', count: 1 }));
    assert.equal(b.broker.stats.authFailures, 1);
    const line = warnings(b).find((l) => l.includes('login failed'));
    assert.match(line ?? '', /user 'eve\\u000awarn: forged'/);
    assert.ok(!line?.includes('\n'), 'one line');
  });
});
