/**
 * The connector: how a `connect()`ed connection gets (and gets back) a socket. It builds the transport
 * (SASL, heartbeat, frame size), resolves the host and tries every address in turn, over TLS for amqps
 * or an SSL domain (amqps without one verifies the server's certificate and name against the CAs Node
 * trusts, as Proton's default client domain does), and, when the connection is lost while the
 * application still has it open, waits the next backoff delay and tries the next URL of the failover
 * list. No reconnect after a local close or an authentication failure; the delays start over once a
 * connection opens. A TLS failure (a certificate refused, a name that does not match) fails the
 * transport with `amqp:connection:framing-error` and `SSL Failure: <Node's reason> (<code>)`.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { ErrorCondition } from '../engine/condition.js';
import type { Connection } from '../engine/connection.js';
import { State } from '../engine/endpoint.js';
import { Sender } from '../engine/link.js';
import { SaslLayer } from '../engine/sasl-layer.js';
import { Transport } from '../engine/transport.js';
import { SocketDriver } from '../io/socket-driver.js';
import { reconnectDelays } from './backoff.js';
import type { ConnectOptions, ContainerCore } from './options.js';
import { describeTlsError, isTlsError, recordTlsInfo, SSLDomain, SSLException } from './ssl-domain.js';
import type { Url } from './url.js';

/** The domain of amqps connections made without one: VERIFY_PEER_NAME, Node's trusted CAs, no certificate. */
const DEFAULT_CLIENT_DOMAIN = new SSLDomain(SSLDomain.MODE_CLIENT);

export class Connector {
  readonly urls: Url[];
  private delays: Iterator<number>;
  private next = 0;
  /** The driver of the current attempt. */
  driver: SocketDriver | undefined = undefined;
  /** A reconnect is waiting for its delay. */
  private timer: NodeJS.Timeout | undefined = undefined;
  /** No more attempts: closed here, refused, or out of retries. */
  finished = false;
  /** The URL of the current attempt. */
  url: Url | undefined = undefined;

  constructor(
    private readonly container: ContainerCore,
    readonly connection: Connection,
    readonly options: ConnectOptions,
    urls: Url[],
  ) {
    this.urls = urls;
    this.delays = reconnectDelays(options.reconnect)[Symbol.iterator]();
    this.currentDelay = this.delays.next().value ?? 0; // the first attempt is made at once
  }

  /**
   * Attempts go through (delay, url) pairs, as Proton's: every URL of the list at each delay of the
   * backoff, so a failover list is tried whole before the delay grows.
   */
  private currentDelay: number;

  /** Whether the connector still holds the container open (a socket, or a reconnect to come). */
  get active(): boolean {
    return !this.finished;
  }

  /** The connection opened: the backoff starts over for the next loss. */
  opened(): void {
    this.delays = reconnectDelays(this.options.reconnect)[Symbol.iterator]();
    this.currentDelay = this.delays.next().value ?? 0;
    this.next = 0;
  }

  /** Makes an attempt on the next URL of the list. */
  attempt(): void {
    if (this.finished) return;
    if (this.connection.localState !== State.LOCAL_ACTIVE) {
      this.finish();
      return;
    }
    const url = this.urls[this.next % this.urls.length]!;
    this.next++;
    this.url = url;
    const o = this.options;
    const c = this.connection;
    if (o.virtualHost === undefined) c.hostname = url.host || undefined;
    else c.hostname = o.virtualHost === '' ? undefined : o.virtualHost;
    const t = new Transport({
      idleTimeout: o.heartbeat,
      maxFrameSize: o.maxFrameSize,
      channelMax: o.channelMax,
      logger: this.container.logger,
    });
    const secure = url.scheme === 'amqps' || o.sslDomain !== undefined;
    t.encrypted = secure;
    if (o.saslEnabled !== false) {
      t.setSasl(
        new SaslLayer(t, {
          client: {
            user: url.username || o.user,
            password: url.password || o.password,
            allowedMechs: o.allowedMechs,
            // PLAIN sends the password in the clear: over plain TCP only when asked for (see options.ts).
            allowInsecureMechs: o.allowInsecureMechs ?? false,
            externalIdentity: secure && o.sslDomain?.hasCredentials === true,
          },
        }),
      );
    }
    t.bind(c);
    const driver = new SocketDriver(
      t,
      { schedule: () => this.container.requestTurn(), closed: (d) => this.lost(d) },
      { maxWriteBuffer: o.maxWriteBuffer },
    );
    this.driver = driver;
    this.open(driver, url, secure).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      // As Proton's: the transport fails with the reason, the handlers hear of it, then reconnect decides.
      // A TLS failure (a certificate refused, a handshake broken) is the framing error Proton gives it.
      t.fail(e instanceof SSLException ? ErrorCondition.framingError : 'proton:io', message);
      driver.destroy(e instanceof Error ? e : new Error(message));
      this.container.requestTurn();
    });
  }

  private async open(driver: SocketDriver, url: Url, secure: boolean): Promise<void> {
    const host = url.host || 'localhost';
    const o = this.options;
    let tlsOptions: tls.ConnectionOptions | undefined;
    if (secure) {
      const servername = o.sni ?? (o.virtualHost || url.host || 'localhost');
      tlsOptions = (o.sslDomain ?? DEFAULT_CLIENT_DOMAIN).clientTlsOptions(servername);
    }
    const addresses = net.isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
    let lastError: Error | undefined;
    let tlsError: Error | undefined;
    for (const { address } of addresses) {
      if (this.finished || this.driver !== driver) return;
      try {
        const socket = await this.connectOne(address, url, tlsOptions, driver);
        if (this.finished || this.driver !== driver) {
          // Stopped (or superseded) while connecting: this socket has no one to serve.
          socket.destroy();
          return;
        }
        driver.attach(socket, true, tlsOptions === undefined);
        if (socket instanceof tls.TLSSocket) this.secured(driver, socket);
        this.container.requestTurn();
        return;
      } catch (e) {
        lastError = e as Error;
        if (e instanceof SSLException) tlsError ??= e;
      }
    }
    // An address that answered, then failed the handshake, says more than one that refused.
    if (tlsError !== undefined) throw tlsError;
    throw new Error(`connection refused to all addresses of ${host}:${url.port}: ${lastError?.message}`);
  }

  /**
   * Connects one address; resolves once connected (and, over TLS, once the handshake is done and the
   * server's certificate passed the domain's checks). A failure after the TCP connection is up is the
   * handshake's: an `SSLException` saying why (Node's reason and code).
   */
  private connectOne(
    address: string,
    url: Url,
    tlsOptions: tls.ConnectionOptions | undefined,
    driver: SocketDriver,
  ): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      let tcpUp = false;
      if (tlsOptions !== undefined) {
        socket = tls.connect({ ...tlsOptions, host: address, port: url.port ?? 5671 });
        socket.once('connect', () => {
          tcpUp = true;
        });
        socket.once('secureConnect', () => resolve(socket));
      } else {
        // A plain socket reads into the driver's shared buffer (TLS reads through its own layer).
        socket = net.connect({ host: address, port: url.port ?? 5672, onread: driver.readOptions() });
        socket.once('connect', () => resolve(socket));
      }
      socket.once('error', (e) => {
        socket.destroy();
        reject(tcpUp ? new SSLException(describeTlsError(e), { cause: e }) : e);
      });
    });
  }

  /**
   * A TLS socket is attached: what it negotiated goes on record (`tlsInfo`), and a TLS error after the
   * handshake (the server refusing our certificate, under TLS 1.3) fails the transport with its reason
   * rather than as a bare abort.
   */
  private secured(driver: SocketDriver, socket: tls.TLSSocket): void {
    recordTlsInfo(driver.transport, socket);
    socket.on('error', (e: Error) => {
      if (!isTlsError(e)) return;
      driver.transport.fail(ErrorCondition.framingError, describeTlsError(e));
      this.container.requestTurn();
    });
  }

  /** The socket is gone: reconnect, unless the connection is finished with. */
  private lost(driver: SocketDriver): void {
    if (driver !== this.driver) return;
    const t = driver.transport;
    this.driver = undefined;
    const c = this.connection;
    const authFailed = t.condition?.name === ErrorCondition.unauthorizedAccess;
    if (
      c.localState !== State.LOCAL_ACTIVE ||
      authFailed ||
      this.options.reconnect === false ||
      this.container.stopped
    ) {
      this.finish();
      return;
    }
    let delay = this.currentDelay;
    if (this.next >= this.urls.length) {
      const step = this.delays.next();
      if (step.done) {
        this.finish();
        return;
      }
      this.currentDelay = delay = step.value;
      this.next = 0;
    }
    t.unbind();
    resendInDoubt(c);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, delay);
    this.container.requestTurn();
  }

  /** The application closed the connection: a reconnect waiting for its delay is called off. */
  closed(): void {
    if (this.driver === undefined) this.finish();
  }

  /** Stops for good: no more attempts. */
  finish(): void {
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.container.requestTurn();
  }

  /** Closes the socket at once and stops reconnecting (the container is stopping). */
  abort(): void {
    this.finish();
    this.driver?.destroy();
  }
}

/**
 * Sends again, on senders that keep their payloads (the `resend` option), every delivery whose fate the
 * lost connection left unknown: at-least-once across a reconnect (the peer may get a duplicate).
 */
function resendInDoubt(c: Connection): void {
  for (const l of c.links) {
    if (!(l instanceof Sender) || !l.keepPayload || l.inDoubt.length === 0) continue;
    const again = l.inDoubt.splice(0);
    for (const old of again) {
      if (old.payload === undefined) continue;
      const d = l.delivery(old.tag);
      d.context = old.context;
      d.payload = old.payload;
      l.stream(old.payload);
      l.advance();
    }
  }
}
