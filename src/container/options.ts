/** The options of `Container.connect` and `Container.listen`, and what the container's parts share. */
import type tls from 'node:tls';
import type { AmqpValue } from '../codec/types.js';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import type { Backoff } from './backoff.js';
import type { Url } from './url.js';

/**
 * The TLS side of an SSL domain, as the connector and acceptor use it (see `SSLDomain`). proton-ts only:
 * the interface Proton's `SSLDomain` is seen through, so another TLS set-up can stand in for it.
 */
export interface TlsDomain {
  /**
   * The options for a client connection to `servername`: Node `tls.connect` options. proton-ts only (Proton
   * Python has no counterpart).
   */
  clientTlsOptions(servername: string): tls.ConnectionOptions;
  /**
   * The options of a TLS server: Node `tls.createServer` options. proton-ts only (Proton Python has no
   * counterpart).
   */
  serverTlsOptions(): tls.TlsOptions;
  /** A server port that takes plain AMQP as well as TLS. */
  readonly allowUnsecured: boolean;
  /**
   * The client presents a certificate (so SASL EXTERNAL can be used). proton-ts only: true once Proton's
   * `SSLDomain.set_credentials` was called.
   */
  readonly hasCredentials: boolean;
}

/** Options of `Container.connect` (Proton's keyword arguments, in TypeScript case). */
export interface ConnectOptions {
  /** The URL to connect to. Proton: `url`. */
  url?: string | Url;
  /** A failover list: each is tried in turn at each reconnect. Proton: `urls`. */
  urls?: readonly (string | Url)[];
  /** The handler of this connection's events (instead of the container's). Proton: `handler`. */
  handler?: object;
  /**
   * Reconnect when the connection is lost: true or undefined for Proton's default backoff (0, 100 ms,
   * doubling to 10 s, for ever), false for none, a `Backoff`, or any iterable of delays in ms.
   * Proton: `reconnect`.
   * @default the default Backoff
   */
  reconnect?: boolean | Backoff | Iterable<number>;
  /**
   * The idle timeout in ms: the connection fails when the peer is silent longer; half is advertised. Proton:
   * `heartbeat`, in seconds; AMQP: `open.idle-time-out`.
   * @default 0 (none)
   */
  heartbeat?: number;
  /**
   * TLS settings; amqps URLs use the container's client domain when this is not given. Proton: `ssl_domain`.
   */
  sslDomain?: TlsDomain;
  /** Use SASL (AMQP: the SASL protocol header, `AMQP 3 1 0 0`). Proton: `sasl_enabled`. @default true */
  saslEnabled?: boolean;
  /**
   * The SASL mechanisms allowed, as a list or a space-separated string. Proton: `allowed_mechs`.
   * @default all
   */
  allowedMechs?: string | readonly string[];
  /**
   * Allow PLAIN (a password in the clear) over an unencrypted connection. Proton's engine refuses it
   * unless asked; Proton Python's Container asks by default, proton-ts does not: a password is never
   * sent in the clear unless the application says so.
   * Proton: `allow_insecure_mechs`.
   * @default false
   */
  allowInsecureMechs?: boolean;
  /** The user to authenticate as (the URL's user name wins). Proton: `user`. */
  user?: string;
  /** The password (the URL's password wins). Proton: `password`. */
  password?: string;
  /**
   * The hostname sent in the open; an empty string sends none. Proton: `virtual_host`; AMQP: `open.hostname`.
   * @default the URL's host
   */
  virtualHost?: string;
  /** The TLS server name (SNI). Proton: `sni`. @default the virtual host or the URL's host */
  sni?: string;
  /** The largest frame we accept. Proton: `max_frame_size`; AMQP: `open.max-frame-size`. @default 1048576 */
  maxFrameSize?: number;
  /**
   * The highest channel we accept. Proton 0.37 has no such option (Proton C: `pn_transport_set_channel_max`);
   * AMQP: `open.channel-max`.
   * @default 32767
   */
  channelMax?: number;
  /**
   * The most bytes waiting for the peer to read: written to the socket and not yet flushed, and, while
   * the socket is full, messages sent on the peer's credit and not yet written. Past it, with the socket
   * full and not drained for 10 s, the connection fails with `amqp:resource-limit-exceeded` (the peer is
   * taken not to be reading) and the socket is destroyed. proton-ts only: Proton has no such limit.
   * @default 67108864 (64 MiB)
   */
  maxWriteBuffer?: number;
  /**
   * Capabilities offered in the open's offered-capabilities (symbols). Proton: `offered_capabilities`;
   * AMQP: `open.offered-capabilities`.
   * @default none
   */
  offeredCapabilities?: string[];
  /**
   * Capabilities asked of the peer in the open's desired-capabilities (symbols). Proton:
   * `desired_capabilities`; AMQP: `open.desired-capabilities`.
   * @default none
   */
  desiredCapabilities?: string[];
  /**
   * Connection properties (keys are symbols). Proton: `properties`; AMQP: `open.properties`.
   * @default none
   */
  properties?: Map<AmqpValue, AmqpValue> | Record<string, AmqpValue>;
  /**
   * The container-id sent in the open (Proton sets it per container only, `Container.container_id`); AMQP:
   * `open.container-id`.
   * @default the container's
   */
  containerId?: string;
}

/**
 * Checks the `maxWriteBuffer` option of `connect` or `listen`: a whole number of bytes above 0.
 * @throws InvalidOptionError naming the option
 */
export function checkMaxWriteBuffer(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidOptionError(
      'maxWriteBuffer',
      `must be a whole number of bytes above 0, not ${String(value)}`,
    );
  }
}

/** What the connector and acceptor need of the container. */
export interface ContainerCore {
  readonly containerId: string;
  readonly logger: Logger;
  readonly stopped: boolean;
  /** Runs a turn (dispatch events, write output) soon. */
  requestTurn(): void;
}
