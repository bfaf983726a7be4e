/**
 * The acceptor: a listening socket whose connections are served by the container, each with a server
 * transport that answers a SASL header (offering ANONYMOUS unless configured otherwise) or a bare AMQP
 * one. With an SSL domain every connection is TLS, or, when the domain allows unsecured clients, TLS
 * and plain AMQP share the port (the first byte tells: 0x16 opens a TLS handshake). The handshake is
 * Node's TLS server's, with its checks: a connection is served once it is done, and a client certificate
 * it verified gives the SASL EXTERNAL identity (the certificate's subject, RFC 2253 form).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Connection } from '../engine/connection.js';
import { SaslLayer, type ServerSaslLayerOptions } from '../engine/sasl-layer.js';
import { Transport } from '../engine/transport.js';
import { readAcceptedWith } from '../io/accepted-reads.js';
import { SocketDriver } from '../io/socket-driver.js';
import type { ContainerCore, TlsDomain } from './options.js';
import { describeTlsError, peerSubject, recordTlsInfo } from './ssl-domain.js';

/**
 * Options of `Container.listen` (Proton: `Container.listen(url, ssl_domain)` takes only the SSL domain;
 * the rest are proton-ts additions).
 */
export interface ListenOptions {
  /**
   * TLS settings: every connection is TLS (or either, with `allowUnsecured`). Proton: the `ssl_domain`
   * argument of `Container.listen`.
   * @default none: plain AMQP, unless the URL is amqps (then the container's server domain)
   */
  sslDomain?: TlsDomain;
  /**
   * The handler of the accepted connections' events (instead of the container's). Proton: the `handler`
   * of `Container.acceptor(host, port, handler)`.
   * @default the container's handler
   */
  handler?: object;
  /** SASL on the accepted connections. @default ANONYMOUS offered, and a bare AMQP header accepted */
  sasl?: ServerSaslLayerOptions | false;
  /**
   * The idle timeout of accepted connections, in ms; half of it is advertised (AMQP: `open.idle-time-out`;
   * Proton: `Transport.idle_timeout`, in seconds). 0 for none.
   * @default 0
   */
  heartbeat?: number;
  /**
   * The largest frame accepted (AMQP: `open.max-frame-size`; Proton: `Transport.max_frame_size`).
   * @default 1048576
   */
  maxFrameSize?: number;
  /**
   * Milliseconds for the headers and SASL exchange to complete (see `TransportOptions`). proton-ts only:
   * Proton Python has no such limit.
   * @default 30000
   */
  handshakeTimeout?: number;
  /**
   * The most empty frames a second a client may send (see `TransportOptions`); AMQP: empty frames are
   * heartbeats. proton-ts only: Proton Python has no such limit.
   * @default 1000
   */
  maxEmptyFrameRate?: number;
  /**
   * The most bytes waiting for a client to read: written to its socket and not yet flushed, and, while
   * the socket is full, messages sent on its credit and not yet written. Past it the connection fails
   * with `amqp:resource-limit-exceeded` (the client is taken not to be reading) and its socket is
   * destroyed. proton-ts only: Proton has no such limit.
   * @default 67108864 (64 MiB)
   */
  maxWriteBuffer?: number;
}

/** What an acceptor needs of the container to serve a socket. */
export interface AcceptorHost extends ContainerCore {
  /** Makes a connection for an accepted socket (collected by the container). */
  accepted(connection: Connection, driver: SocketDriver, acceptor: Acceptor): void;
  /** Creates a bare connection bound to the container's collector. */
  newConnection(): Connection;
  /** The acceptor has closed. */
  acceptorClosed(acceptor: Acceptor): void;
  /** A driver's socket closed. */
  driverClosed(driver: SocketDriver): void;
}

/**
 * A listening socket, made by `container.listen()`; each connection it accepts is served by the container.
 * Proton: the `Acceptor` that `Container.listen` returns (`proton._reactor.Acceptor`).
 */
export class Acceptor {
  private readonly server: net.Server;
  private closed = false;
  /** The TLS server (never listening) that runs the handshakes, and the options it was made with. */
  private tls: tls.Server | undefined = undefined;
  private tlsOptions: tls.TlsOptions | undefined = undefined;

  /**
   * @internal Made by `container.listen()`.
   * @throws SSLException when the SSL domain cannot serve (a client domain, no credentials).
   */
  constructor(
    private readonly host: AcceptorHost,
    /**
     * The options `listen` was given: the address, SSL domain, SASL and limits of accepted connections.
     * proton-ts only: Proton keeps its SSL domain private (`Acceptor.set_ssl_domain()`).
     */
    readonly options: ListenOptions,
  ) {
    if (options.sslDomain !== undefined) this.tlsServer(options.sslDomain);
    // A plain server accepts its sockets paused, to re-make them reading into our own memory (see
    // serve and io/accepted-reads.ts); a TLS one hands them to Node's TLS server as they come.
    const paused = options.sslDomain === undefined;
    this.server = net.createServer({ noDelay: true, pauseOnConnect: paused }, (socket) =>
      this.accept(socket),
    );
    this.server.on('error', () => this.close());
  }

  /**
   * Starts listening; resolves with the port (useful with port 0). Proton listens in the `Acceptor`
   * constructor; `container.listen()` calls this.
   */
  listen(hostname: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, hostname, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** The port listened on. proton-ts only: Proton Python's `Acceptor` does not expose it. */
  get port(): number {
    return (this.server.address() as net.AddressInfo | null)?.port ?? 0;
  }

  /** Stops listening (connections already accepted go on). Proton: `Acceptor.close()`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    this.host.acceptorClosed(this);
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const domain = this.options.sslDomain;
    if (domain === undefined) return this.serve(socket, false);
    if (!domain.allowUnsecured) return this.secure(socket, domain);
    // TLS and plain on one port: a TLS client's first byte is a handshake record (0x16).
    socket.once('readable', () => {
      const first: Buffer | null = socket.read(1);
      if (first === null) return;
      socket.unshift(first);
      if (first[0] === 0x16) this.secure(socket, domain);
      else this.serve(socket, false);
    });
  }

  /** Runs the server side of the TLS handshake on an accepted socket; serves it once it is done. */
  private secure(socket: net.Socket, domain: TlsDomain): void {
    let server: tls.Server;
    try {
      server = this.tlsServer(domain);
    } catch (e) {
      this.host.logger.error(`TLS refused on an accepted connection: ${e instanceof Error ? e.message : e}`);
      socket.destroy();
      return;
    }
    // Node's TLS server wraps the socket (bytes already read, such as the sniffed one, included), runs
    // the handshake and its certificate checks (requestCert, rejectUnauthorized), and times it out.
    server.emit('connection', socket);
  }

  /** The TLS server for the domain's current options (a new one when a setter changed them). */
  private tlsServer(domain: TlsDomain): tls.Server {
    const options = domain.serverTlsOptions();
    if (this.tls === undefined || this.tlsOptions !== options) {
      const server = tls.createServer(options, (s) => this.serve(s, true));
      server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => this.handshakeFailed(e, s));
      this.tls = server;
      this.tlsOptions = options;
    }
    return this.tls;
  }

  /** A handshake failed (or a client certificate was refused): nothing to serve; the log says why. */
  private handshakeFailed(e: Error, socket: tls.TLSSocket): void {
    // The address is gone once the socket is (a client that hung up).
    const peer =
      socket.remoteAddress === undefined ? 'a client' : `${socket.remoteAddress}:${socket.remotePort}`;
    const refused = socket.authorizationError;
    let why: string;
    if (refused !== undefined && refused !== null) {
      why = `SSL Failure: client certificate refused: ${String(refused)}`;
    } else if ((e as { code?: unknown }).code === 'ECONNRESET') {
      why = 'the client hung up during the handshake (did it refuse our certificate?)';
    } else {
      why = describeTlsError(e);
    }
    this.host.logger.warn(`TLS handshake with ${peer} failed: ${why}`);
    socket.destroy();
  }

  private serve(socket: net.Socket, encrypted: boolean): void {
    const o = this.options;
    const c = this.host.newConnection();
    c.handler = o.handler;
    const t = new Transport({
      server: true,
      idleTimeout: o.heartbeat,
      maxFrameSize: o.maxFrameSize,
      handshakeTimeout: o.handshakeTimeout,
      maxEmptyFrameRate: o.maxEmptyFrameRate,
      logger: this.host.logger,
    });
    t.encrypted = encrypted;
    let identity: string | undefined;
    if (socket instanceof tls.TLSSocket) {
      recordTlsInfo(t, socket);
      // Only a certificate the handshake verified identifies the client.
      if (socket.authorized) identity = peerSubject(socket);
    }
    if (o.sasl !== false) {
      t.setSasl(new SaslLayer(t, { server: { optional: true, externalIdentity: identity, ...o.sasl } }));
    }
    t.bind(c);
    const driver = new SocketDriver(
      t,
      { schedule: () => this.host.requestTurn(), closed: (d) => this.host.driverClosed(d) },
      { maxWriteBuffer: o.maxWriteBuffer },
    );
    let sharedReads = false;
    // A plain server's sockets come paused (see the constructor): re-made to read through onread.
    if (o.sslDomain === undefined) {
      const own = readAcceptedWith(socket, driver.readOptions());
      if (own !== undefined) {
        socket = own;
        sharedReads = true;
      }
    }
    driver.attach(socket, true, sharedReads);
    this.host.accepted(c, driver, this);
  }
}
