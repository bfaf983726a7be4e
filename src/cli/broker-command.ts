/**
 * `proton-ts broker`: the embedded broker on a port, with TLS, users (SASL PLAIN and SCRAM from a users
 * file), an ACL of who may send to and receive from which addresses, frame and idle limits, a count of
 * failed logins, and a clean shutdown on SIGINT and SIGTERM: the port closes, every
 * client is sent a close (`amqp:connection:forced`) and the process exits 0 once they have answered (or
 * after a grace period).
 */
import { Acl, Broker, type BrokerOptions } from '../broker/index.js';
import { Users } from '../broker/users.js';
import { Container, type Event, type ListenOptions, type Logger, SSLDomain, SSLException } from '../index.js';
import { type CommandIo, noMore, type OutStream, parse, seconds, UsageError, wholeNumber } from './args.js';

/** How long the shutdown waits for clients to answer the close, in ms. */
const SHUTDOWN_GRACE = 3000;

/** Everything the broker's flags say, checked. */
export interface BrokerConfig {
  host: string;
  port: number;
  listen: ListenOptions;
  /** The broker's limits. */
  broker: BrokerOptions;
  verbose: boolean;
  /** What the users file held: the number of users (the file itself is not kept). */
  users: number | undefined;
}

/** Reads and checks the broker's flags; any bad one is a UsageError naming it. */
export function brokerConfig(args: string[]): BrokerConfig {
  const { values, positionals } = parse('broker', args, {
    host: { type: 'string' },
    port: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-ca': { type: 'string' },
    users: { type: 'string' },
    'allow-anonymous': { type: 'boolean' },
    acl: { type: 'string' },
    'max-frame-size': { type: 'string' },
    'idle-timeout': { type: 'string' },
    'max-connections': { type: 'string' },
    'max-queue-depth': { type: 'string' },
    'max-unsettled-per-connection': { type: 'string' },
    'max-buffered-bytes-per-connection': { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
  });
  noMore('broker', positionals);
  const listen: ListenOptions = {};
  const port = wholeNumber('port', values.port, 5672, 0, 65535);
  const maxFrameSize = values['max-frame-size'];
  // AMQP's smallest max-frame-size is 512; a frame size is a uint.
  if (maxFrameSize !== undefined)
    listen.maxFrameSize = wholeNumber('max-frame-size', maxFrameSize, 0, 512, 0xffffffff);
  const heartbeat = seconds('idle-timeout', values['idle-timeout']);
  if (heartbeat !== undefined) listen.heartbeat = heartbeat;
  const ssl = tlsDomain(values['tls-cert'], values['tls-key'], values['tls-ca']);
  if (ssl !== undefined) listen.sslDomain = ssl;
  let users: number | undefined;
  if (values.users !== undefined) {
    const u = loadUsers(values.users);
    users = u.size;
    listen.sasl = saslOptions(u, values['allow-anonymous'] === true, values['tls-ca'] !== undefined);
  }
  const broker: BrokerOptions = {};
  if (values['max-connections'] !== undefined)
    broker.maxConnections = wholeNumber('max-connections', values['max-connections'], 0, 1);
  if (values['max-queue-depth'] !== undefined)
    broker.maxQueueDepth = wholeNumber('max-queue-depth', values['max-queue-depth'], 0, 1);
  const unsettled = values['max-unsettled-per-connection'];
  if (unsettled !== undefined)
    broker.maxUnsettledPerConnection = wholeNumber('max-unsettled-per-connection', unsettled, 0, 1);
  const buffered = values['max-buffered-bytes-per-connection'];
  if (buffered !== undefined)
    broker.maxBufferedBytesPerConnection = wholeNumber('max-buffered-bytes-per-connection', buffered, 0, 1);
  if (values.acl !== undefined) broker.acl = loadAcl(values.acl);
  return { host: values.host ?? '0.0.0.0', port, listen, broker, verbose: values.verbose === true, users };
}

function tlsDomain(cert?: string, key?: string, ca?: string): SSLDomain | undefined {
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if (cert === undefined)
    throw new UsageError(`option --${key !== undefined ? 'tls-key' : 'tls-ca'} needs --tls-cert`);
  if (key === undefined) throw new UsageError('option --tls-cert needs --tls-key');
  const domain = new SSLDomain(SSLDomain.MODE_SERVER);
  try {
    domain.setCredentials(cert, key);
  } catch (e) {
    if (e instanceof SSLException) throw new UsageError(`option --tls-cert/--tls-key: ${e.message}`);
    throw e;
  }
  if (ca !== undefined) {
    // Clients must then present a certificate signed by this CA (and may log in with EXTERNAL).
    try {
      domain.setTrustedCaDb(ca);
      domain.setPeerAuthentication(SSLDomain.VERIFY_PEER);
    } catch (e) {
      if (e instanceof SSLException) throw new UsageError(`option --tls-ca: ${e.message}`);
      throw e;
    }
  }
  return domain;
}

function loadUsers(file: string): Users {
  try {
    return Users.load(file);
  } catch (e) {
    throw new UsageError(`option --users: ${(e as Error).message}`);
  }
}

function loadAcl(file: string): Acl {
  try {
    return Acl.load(file);
  } catch (e) {
    throw new UsageError(`option --acl: ${(e as Error).message}`);
  }
}

/**
 * SASL with users: SCRAM and PLAIN checked against the stored records (PLAIN also over clear
 * connections, as the clients' default allows it), EXTERNAL when client certificates are verified, and
 * ANONYMOUS only when asked for. A client must do SASL: a bare AMQP header is refused, unless anonymous
 * clients are let in anyway.
 */
function saslOptions(users: Users, anonymous: boolean, external: boolean): ListenOptions['sasl'] {
  const mechanisms = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'];
  if (external) mechanisms.push('EXTERNAL');
  if (anonymous) mechanisms.push('ANONYMOUS');
  return {
    mechanisms,
    allowInsecureMechs: true,
    authenticate: (user, password, authzid) => users.authenticate(user, password, authzid),
    scramCredentials: (user, mechanism) => users.credentials(user, mechanism),
    optional: anonymous,
  };
}

/** The CLI's logger: one line per message on stderr. `debug` only with -v. */
export function streamLogger(stream: OutStream, verbose: boolean): Logger {
  const line =
    (level: string) =>
    (msg: string, ...args: unknown[]) =>
      stream.write(`proton-ts broker: ${level}: ${[msg, ...args.map(String)].join(' ')}\n`);
  const ignore = () => {};
  return {
    debug: verbose ? line('debug') : ignore,
    info: verbose ? line('info') : ignore,
    warn: line('warn'),
    error: line('error'),
  };
}

/**
 * Logs the broker's connections and links (with -v): a plain handler beside the broker, it sees the
 * engine's events and changes nothing.
 */
export class ConnectionLog {
  constructor(private readonly logger: Logger) {}

  onConnectionRemoteOpen(e: Event): void {
    const c = e.connection!;
    const user = c.transport?.sasl?.user;
    this.logger.info(
      `connection opened: container ${c.remoteContainerId ?? '?'}${user ? `, user ${user}` : ''}`,
    );
  }
  onConnectionRemoteClose(e: Event): void {
    this.logger.info(`connection closed: container ${e.connection!.remoteContainerId ?? '?'}`);
  }
  onLinkRemoteOpen(e: Event): void {
    const l = e.link!;
    const address = l.isSender ? l.remoteSource?.address : l.remoteTarget?.address;
    this.logger.info(
      `link attached: ${l.isSender ? 'consumer from' : 'producer to'} ${address ?? '(none)'} (${l.name})`,
    );
  }
  onLinkRemoteClose(e: Event): void {
    this.logger.info(`link detached: ${e.link!.name}`);
  }
}

/** Something that delivers SIGINT and SIGTERM: the process, or a stand-in in tests. */
export interface Signals {
  once(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export async function brokerCommand(
  args: string[],
  io: CommandIo,
  signals: Signals = process,
): Promise<void> {
  const config = brokerConfig(args);
  const logger = streamLogger(io.stderr, config.verbose);
  const broker = new Broker({ ...config.broker, logger });
  const container = new Container(broker, new ConnectionLog(logger), {
    containerId: 'proton-ts-broker',
    logger,
  });
  const scheme = config.listen.sslDomain === undefined ? 'amqp' : 'amqps';
  const acceptor = await container.listen(`${scheme}://${hostPort(config.host, config.port)}`, config.listen);
  io.stdout.write(`broker listening on ${hostPort(config.host, acceptor.port)}\n`);
  if (config.users !== undefined)
    logger.info(`users file: ${config.users} user${config.users === 1 ? '' : 's'}`);
  const acl = config.broker.acl;
  if (acl !== undefined) logger.info(`ACL: ${acl.size} rule${acl.size === 1 ? '' : 's'}`);
  const running = container.run();
  const shutdown = () => {
    signals.off('SIGINT', shutdown);
    signals.off('SIGTERM', shutdown);
    logger.info('shutting down');
    // In the container's loop, so the closes are written out in its turn.
    container.schedule(0, {
      onTimerTask: () => {
        acceptor.close();
        void broker.shutdown({ timeout: SHUTDOWN_GRACE });
      },
    });
  };
  signals.once('SIGINT', shutdown);
  signals.once('SIGTERM', shutdown);
  try {
    await running;
  } finally {
    signals.off('SIGINT', shutdown);
    signals.off('SIGTERM', shutdown);
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
