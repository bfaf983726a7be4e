/**
 * The acceptor: a listening socket whose connections are served by the container, each with a server
 * transport that answers a SASL header (offering ANONYMOUS unless configured otherwise) or a bare AMQP
 * one. With an SSL domain every connection is TLS, or, when the domain allows unsecured clients, TLS
 * and plain AMQP share the port (the first byte tells: 0x16 opens a TLS handshake).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Connection } from '../engine/connection.js';
import { SaslLayer, type ServerSaslLayerOptions } from '../engine/sasl-layer.js';
import { Transport } from '../engine/transport.js';
import { SocketDriver } from '../io/socket-driver.js';
import type { ContainerCore, TlsDomain } from './options.js';

/** Options of `Container.listen`. */
export interface ListenOptions {
  /** TLS settings: every connection is TLS (or either, with `allowUnsecured`). */
  sslDomain?: TlsDomain;
  /** The handler of the accepted connections' events (instead of the container's). */
  handler?: object;
  /** SASL on the accepted connections. @default ANONYMOUS offered, and a bare AMQP header accepted */
  sasl?: ServerSaslLayerOptions | false;
  /** The idle timeout of accepted connections, in ms. */
  heartbeat?: number;
  /** The largest frame accepted. */
  maxFrameSize?: number;
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

export class Acceptor {
  private readonly server: net.Server;
  private closed = false;

  constructor(
    private readonly host: AcceptorHost,
    readonly options: ListenOptions,
  ) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', () => this.close());
  }

  /** Starts listening; resolves with the port (useful with port 0). */
  listen(hostname: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, hostname, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** The port listened on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo | null)?.port ?? 0;
  }

  /** Stops listening (connections already accepted go on). */
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
    if (!domain.allowUnsecured) return this.serve(this.secure(socket, domain), true);
    // TLS and plain on one port: a TLS client's first byte is a handshake record (0x16).
    socket.once('readable', () => {
      const first: Buffer | null = socket.read(1);
      if (first === null) return;
      socket.unshift(first);
      if (first[0] === 0x16) this.serve(this.secure(socket, domain), true);
      else this.serve(socket, false);
    });
  }

  private secure(socket: net.Socket, domain: TlsDomain): tls.TLSSocket {
    return new tls.TLSSocket(socket, { ...domain.serverTlsOptions(), isServer: true });
  }

  private serve(socket: net.Socket, encrypted: boolean): void {
    const o = this.options;
    const c = this.host.newConnection();
    c.handler = o.handler;
    const t = new Transport({
      server: true,
      idleTimeout: o.heartbeat,
      maxFrameSize: o.maxFrameSize,
      logger: this.host.logger,
    });
    t.encrypted = encrypted;
    if (o.sasl !== false) {
      const peer = socket instanceof tls.TLSSocket ? socket.getPeerCertificate() : undefined;
      const identity =
        peer?.subject === undefined
          ? undefined
          : subjectOf(peer.subject as unknown as Record<string, string | string[]>);
      t.setSasl(new SaslLayer(t, { server: { optional: true, externalIdentity: identity, ...o.sasl } }));
    }
    t.bind(c);
    const driver = new SocketDriver(t, {
      schedule: () => this.host.requestTurn(),
      closed: (d) => this.host.driverClosed(d),
    });
    driver.attach(socket, true);
    this.host.accepted(c, driver, this);
  }
}

/** A certificate subject as one string (`CN=client,O=Example`), the identity EXTERNAL gives. */
function subjectOf(subject: Record<string, string | string[]>): string {
  return Object.entries(subject)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(',');
}
