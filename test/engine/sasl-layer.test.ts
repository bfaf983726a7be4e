/**
 * The SASL layer, engine to engine: a client and a server transport run every mechanism over real
 * frames (ANONYMOUS, PLAIN, EXTERNAL, SCRAM-SHA-1/256/512), the failures (a wrong password, no common
 * mechanism, PLAIN in the clear, a header the other side does not speak), an asynchronous authenticator
 * and a server on which SASL is optional. Every scenario runs twice: the bytes moved whole, and moved
 * one byte per `push`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Receiver, State } from '../../src/engine/index.js';
import {
  SCRAM_MECHANISMS,
  type ScramCredentials,
  type ScramMechanismName,
  scramCredentials,
} from '../../src/sasl/index.js';
import { drain, type PairOptions, pair, pump, type Side } from '../support/pair.js';

const UNAUTHORIZED = 'amqp:unauthorized-access';
const FRAMING = 'amqp:connection:framing-error';
const MODES = [
  { name: 'whole', chunk: 0 },
  { name: 'byte by byte', chunk: 1 },
] as const;

interface Run {
  client: Side;
  server: Side;
  /** Every event name each side saw, in order. */
  clientEvents: string[];
  serverEvents: string[];
}

/** A pair with these SASL options, both connections opened, pumped until quiet. */
function connect(options: PairOptions, chunk: number, setup?: (client: Side, server: Side) => void): Run {
  const { client, server } = pair(options);
  setup?.(client, server);
  client.connection.open();
  server.connection.open();
  pump(client, server, chunk);
  const run = { client, server, clientEvents: [] as string[], serverEvents: [] as string[] };
  collect(run);
  return run;
}

function collect(run: Run): void {
  run.clientEvents.push(...drain(run.client));
  run.serverEvents.push(...drain(run.server));
}

/** The exchange succeeded with `mechanism`, the server knows the user, and both connections opened. */
function assertOpened(run: Run, mechanism: string, user: string, authzid?: string): void {
  const { client, server } = run;
  assert.equal(client.transport.condition, undefined, `client: ${client.transport.condition}`);
  assert.equal(server.transport.condition, undefined, `server: ${server.transport.condition}`);
  const cs = client.transport.sasl!;
  const ss = server.transport.sasl!;
  assert.equal(cs.succeeded, true);
  assert.equal(ss.succeeded, true);
  assert.equal(cs.outcome, 0);
  assert.equal(ss.outcome, 0);
  assert.equal(cs.mechanism, mechanism);
  assert.equal(ss.mechanism, mechanism);
  assert.equal(ss.user, user);
  assert.equal(ss.authzid, authzid);
  assert.equal(client.connection.remoteState, State.REMOTE_ACTIVE);
  assert.equal(server.connection.remoteState, State.REMOTE_ACTIVE);
  assert.equal(server.connection.remoteContainerId, 'client');
  assert.equal(client.connection.remoteContainerId, 'server');
  assert.ok(run.clientEvents.includes('connection_remote_open'));
  assert.ok(run.serverEvents.includes('connection_remote_open'));
  assert.ok(!run.clientEvents.includes('transport_error'));
  assert.ok(!run.serverEvents.includes('transport_error'));
}

/** Neither connection opened. */
function assertNeverOpened(run: Run): void {
  assert.equal(run.client.connection.remoteState, State.REMOTE_UNINIT);
  assert.equal(run.server.connection.remoteState, State.REMOTE_UNINIT);
  assert.ok(!run.clientEvents.includes('connection_remote_open'));
  assert.ok(!run.serverEvents.includes('connection_remote_open'));
}

/**
 * The server refused the client: the client's condition is `amqp:unauthorized-access`, both sides saw a
 * `transport_error` and closed, and no connection opened.
 */
function assertRefusedByServer(run: Run): void {
  assert.equal(run.client.transport.condition?.name, UNAUTHORIZED, String(run.client.transport.condition));
  assert.equal(run.server.transport.condition?.name, UNAUTHORIZED, String(run.server.transport.condition));
  assert.ok(run.clientEvents.includes('transport_error'), run.clientEvents.join());
  assert.ok(run.serverEvents.includes('transport_error'), run.serverEvents.join());
  assert.equal(run.client.transport.closed, true);
  assert.equal(run.server.transport.closed, true);
  assert.equal(run.client.transport.sasl!.succeeded, false);
  assert.equal(run.server.transport.sasl!.succeeded, false);
  assert.notEqual(run.client.transport.sasl!.outcome, 0);
  assertNeverOpened(run);
}

/**
 * The client refused to go on (no mechanism it may use): its condition is `amqp:unauthorized-access`
 * and it closed. The server is left waiting for a sasl-init until the I/O layer sees the socket close,
 * which this plays with `closeTail`: then the server fails too.
 */
function assertRefusedByClient(run: Run, reason: RegExp): void {
  const c = run.client.transport;
  assert.equal(c.condition?.name, UNAUTHORIZED, String(c.condition));
  assert.match(c.condition?.description ?? '', reason);
  assert.ok(run.clientEvents.includes('transport_error'));
  assert.equal(c.closed, true);
  assert.equal(c.sasl!.succeeded, false);
  const s = run.server.transport;
  assert.equal(s.sasl!.succeeded, false);
  assert.equal(s.sasl!.mechanism, undefined, 'the client sent no sasl-init');
  s.closeTail();
  collect(run);
  assert.ok(s.condition !== undefined);
  assert.ok(run.serverEvents.includes('transport_error'));
  assertNeverOpened(run);
}

const PLAIN_USERS = new Map([['alice', 'secret']]);
const plainCalls: [string, string, string | undefined][] = [];
function checkPlain(user: string, password: string, authzid: string | undefined): boolean {
  plainCalls.push([user, password, authzid]);
  return PLAIN_USERS.get(user) === password && (authzid === undefined || authzid === 'bob');
}

const SCRAM_NAMES = Object.keys(SCRAM_MECHANISMS) as ScramMechanismName[];
const STORED = new Map<ScramMechanismName, ScramCredentials>(
  SCRAM_NAMES.map((m) => [m, scramCredentials('pencil', SCRAM_MECHANISMS[m])]),
);
function scramLookup(user: string, mechanism: ScramMechanismName): ScramCredentials | undefined {
  return user === 'alice' ? STORED.get(mechanism) : undefined;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

for (const { name: mode, chunk } of MODES) {
  describe(`SASL engine to engine, ${mode}`, () => {
    it('ANONYMOUS: a server with no credentials to check lets the client in as anonymous', () => {
      const run = connect({ clientSasl: {}, serverSasl: {} }, chunk);
      assertOpened(run, 'ANONYMOUS', 'anonymous');
      assert.equal(run.server.transport.sasl!.user, 'anonymous');
    });

    it('ANONYMOUS named in allowedMechs with a user: the user goes as the trace', () => {
      const run = connect(
        {
          clientSasl: { user: 'tracer', allowedMechs: 'ANONYMOUS' },
          serverSasl: { mechanisms: 'ANONYMOUS' },
        },
        chunk,
      );
      assertOpened(run, 'ANONYMOUS', 'anonymous');
    });

    it('PLAIN with an authzid, allowed in the clear on both sides', () => {
      plainCalls.length = 0;
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret', authzid: 'bob', allowInsecureMechs: true },
          serverSasl: { authenticate: checkPlain, allowInsecureMechs: true },
        },
        chunk,
      );
      assertOpened(run, 'PLAIN', 'alice', 'bob');
      assert.deepEqual(plainCalls, [['alice', 'secret', 'bob']]);
      assert.equal(run.client.transport.sasl!.user, 'alice');
    });

    it('PLAIN without an authzid', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret', allowInsecureMechs: true },
          serverSasl: { authenticate: checkPlain, allowInsecureMechs: true },
        },
        chunk,
      );
      assertOpened(run, 'PLAIN', 'alice');
    });

    it('PLAIN over an encrypted transport needs no allowInsecureMechs', () => {
      const run = connect(
        { clientSasl: { user: 'alice', password: 'secret' }, serverSasl: { authenticate: checkPlain } },
        chunk,
        (c, s) => {
          c.transport.encrypted = true;
          s.transport.encrypted = true;
        },
      );
      assertOpened(run, 'PLAIN', 'alice');
    });

    it('PLAIN in the clear is refused by the client unless it allows insecure mechanisms', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret' },
          serverSasl: { authenticate: checkPlain, allowInsecureMechs: true },
        },
        chunk,
      );
      assertRefusedByClient(run, /PLAIN needs an encrypted transport/);
    });

    it('PLAIN in the clear is not offered by the server unless it allows insecure mechanisms', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret', allowInsecureMechs: true },
          serverSasl: { mechanisms: 'PLAIN', authenticate: checkPlain },
        },
        chunk,
      );
      assertRefusedByClient(run, /the server offers none/);
    });

    it('EXTERNAL: the server takes the transport identity', () => {
      const run = connect(
        { clientSasl: { externalIdentity: true }, serverSasl: { externalIdentity: 'CN=alice' } },
        chunk,
      );
      assertOpened(run, 'EXTERNAL', 'CN=alice');
    });

    it('EXTERNAL with an authzid', () => {
      const run = connect(
        {
          clientSasl: { externalIdentity: true, authzid: 'bob' },
          serverSasl: { externalIdentity: 'CN=alice', mechanisms: 'EXTERNAL' },
        },
        chunk,
      );
      assertOpened(run, 'EXTERNAL', 'CN=alice', 'bob');
    });

    it('EXTERNAL is not used by a client without a transport identity', () => {
      const run = connect(
        { clientSasl: {}, serverSasl: { externalIdentity: 'CN=alice', mechanisms: 'EXTERNAL' } },
        chunk,
      );
      assertRefusedByClient(run, /EXTERNAL needs a transport identity/);
    });

    for (const mech of SCRAM_NAMES) {
      it(`${mech} with stored credentials`, () => {
        const run = connect(
          {
            clientSasl: { user: 'alice', password: 'pencil' },
            serverSasl: { mechanisms: mech, scramCredentials: scramLookup },
          },
          chunk,
        );
        assertOpened(run, mech, 'alice');
      });

      it(`${mech}: a wrong password is refused`, () => {
        const run = connect(
          {
            clientSasl: { user: 'alice', password: 'wrong' },
            serverSasl: { mechanisms: mech, scramCredentials: scramLookup },
          },
          chunk,
        );
        assertRefusedByServer(run);
      });
    }

    it('SCRAM with an authzid; the client picks the strongest mechanism offered', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'pencil', authzid: 'bob' },
          serverSasl: { scramCredentials: scramLookup },
        },
        chunk,
      );
      assertOpened(run, 'SCRAM-SHA-512', 'alice', 'bob');
    });

    it('SCRAM: an unknown user is refused', () => {
      const run = connect(
        {
          clientSasl: { user: 'mallory', password: 'pencil' },
          serverSasl: { mechanisms: 'SCRAM-SHA-256', scramCredentials: scramLookup },
        },
        chunk,
      );
      assertRefusedByServer(run);
    });

    it('PLAIN: a wrong password is refused, the condition on both sides, no connection', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'wrong', allowInsecureMechs: true },
          serverSasl: { authenticate: checkPlain, allowInsecureMechs: true },
        },
        chunk,
      );
      assertRefusedByServer(run);
      assert.equal(run.client.transport.sasl!.outcome, 1);
      assert.equal(run.server.transport.sasl!.user, undefined);
    });

    it('PLAIN: an authzid the authenticator does not grant is refused', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret', authzid: 'root', allowInsecureMechs: true },
          serverSasl: { authenticate: checkPlain, allowInsecureMechs: true },
        },
        chunk,
      );
      assertRefusedByServer(run);
    });

    it('no common mechanism: the client gives up with amqp:unauthorized-access', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'pencil', allowedMechs: 'PLAIN', allowInsecureMechs: true },
          serverSasl: { mechanisms: 'ANONYMOUS' },
        },
        chunk,
      );
      assertRefusedByClient(run, /no SASL mechanism fits/);
    });

    it('an asynchronous authenticator that lets the client in later', async () => {
      let resolve: ((ok: boolean) => void) | undefined;
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret', allowInsecureMechs: true },
          serverSasl: {
            allowInsecureMechs: true,
            authenticate: () => new Promise<boolean>((r) => (resolve = r)),
          },
        },
        chunk,
      );
      assert.ok(resolve !== undefined, 'the authenticator was called');
      assert.equal(run.server.transport.sasl!.finished, false);
      assert.equal(run.client.transport.sasl!.outcome, undefined);
      assert.equal(run.server.transport.pending(), 0, 'nothing goes out while the check runs');
      resolve(true);
      await tick();
      pump(run.client, run.server, chunk);
      collect(run);
      assertOpened(run, 'PLAIN', 'alice');
    });

    it('an asynchronous authenticator that refuses the client later', async () => {
      let resolve: ((ok: boolean) => void) | undefined;
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret', allowInsecureMechs: true },
          serverSasl: {
            allowInsecureMechs: true,
            authenticate: () => new Promise<boolean>((r) => (resolve = r)),
          },
        },
        chunk,
      );
      assert.ok(resolve !== undefined);
      assert.equal(run.client.transport.condition, undefined);
      resolve(false);
      await tick();
      pump(run.client, run.server, chunk);
      collect(run);
      assertRefusedByServer(run);
    });

    it('an asynchronous authenticator that rejects: a system-error outcome, the client refused', async () => {
      let reject: ((e: Error) => void) | undefined;
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret', allowInsecureMechs: true },
          serverSasl: {
            allowInsecureMechs: true,
            authenticate: () => new Promise<boolean>((_, r) => (reject = r)),
          },
        },
        chunk,
      );
      reject!(new Error('the user database is down'));
      await tick();
      pump(run.client, run.server, chunk);
      collect(run);
      assertRefusedByServer(run);
      assert.equal(run.client.transport.sasl!.outcome, 2);
    });

    it('an asynchronous SCRAM credential lookup', async () => {
      let release: (() => void) | undefined;
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'pencil' },
          serverSasl: {
            mechanisms: 'SCRAM-SHA-256',
            scramCredentials: (user, mech) =>
              new Promise((r) => (release = () => r(scramLookup(user, mech)))),
          },
        },
        chunk,
      );
      assert.ok(release !== undefined);
      release();
      await tick();
      pump(run.client, run.server, chunk);
      collect(run);
      assertOpened(run, 'SCRAM-SHA-256', 'alice');
    });

    it('a server with optional SASL accepts a client that sends the bare AMQP header', () => {
      const run = connect({ serverSasl: { optional: true, authenticate: checkPlain } }, chunk);
      assert.equal(run.client.transport.condition, undefined);
      assert.equal(run.server.transport.condition, undefined);
      assert.equal(run.client.connection.remoteState, State.REMOTE_ACTIVE);
      assert.equal(run.server.connection.remoteState, State.REMOTE_ACTIVE);
      assert.equal(run.server.transport.sasl!.succeeded, false);
      assert.equal(run.server.transport.sasl!.user, undefined, 'nobody authenticated');
    });

    it('a server with optional SASL still runs SASL with a client that asks for it', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'secret', allowInsecureMechs: true },
          serverSasl: { optional: true, authenticate: checkPlain, allowInsecureMechs: true },
        },
        chunk,
      );
      assertOpened(run, 'PLAIN', 'alice');
    });

    it('a server requiring SASL refuses the bare AMQP header', () => {
      const run = connect({ serverSasl: { authenticate: checkPlain } }, chunk);
      assert.equal(run.server.transport.condition?.name, FRAMING);
      assert.equal(run.client.transport.condition?.name, FRAMING);
      assert.ok(run.serverEvents.includes('transport_error'));
      assert.ok(run.clientEvents.includes('transport_error'));
      assert.equal(run.server.transport.closed, true);
      assert.equal(run.client.transport.closed, true);
      assertNeverOpened(run);
    });

    it('a server without SASL refuses a client that asks for it', () => {
      const run = connect({ clientSasl: {} }, chunk);
      assert.equal(run.server.transport.condition?.name, FRAMING);
      assert.equal(run.client.transport.condition?.name, FRAMING);
      assert.ok(run.serverEvents.includes('transport_error'));
      assert.ok(run.clientEvents.includes('transport_error'));
      assertNeverOpened(run);
    });

    it('after SASL, messages flow as on a bare connection', () => {
      const run = connect(
        {
          clientSasl: { user: 'alice', password: 'pencil' },
          serverSasl: { scramCredentials: scramLookup },
        },
        chunk,
      );
      const s = run.client.connection.session();
      s.open();
      const snd = s.sender('l');
      snd.open();
      pump(run.client, run.server, chunk);
      const ss = run.server.connection.sessions[0]!;
      ss.open();
      const rl = ss.links[0] as Receiver;
      rl.open();
      rl.flow(1);
      pump(run.client, run.server, chunk);
      snd.delivery('t');
      snd.send(Buffer.from('payload'));
      snd.advance();
      pump(run.client, run.server, chunk);
      assert.equal(Buffer.from(rl.recv(100)!).toString(), 'payload');
    });
  });
}
