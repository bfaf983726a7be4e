/** The options of `Container.connect` and `Container.listen`, and what the container's parts share. */
import type tls from 'node:tls';
import type { AmqpValue } from '../codec/types.js';
import type { Logger } from '../util/logger.js';
import type { Backoff } from './backoff.js';
import type { Url } from './url.js';

/** The TLS side of an SSL domain, as the connector and acceptor use it (see `SSLDomain`). */
export interface TlsDomain {
  /** The options for a client connection to `servername`. */
  clientTlsOptions(servername: string): tls.ConnectionOptions;
  /** The options of a TLS server. */
  serverTlsOptions(): tls.TlsOptions;
  /** A server port that takes plain AMQP as well as TLS. */
  readonly allowUnsecured: boolean;
  /** The client presents a certificate (so SASL EXTERNAL can be used). */
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
   * `heartbeat`, in seconds.
   */
  heartbeat?: number;
  /**
   * TLS settings; amqps URLs use the container's client domain when this is not given. Proton: `ssl_domain`.
   */
  sslDomain?: TlsDomain;
  /** Use SASL. Proton: `sasl_enabled`. @default true */
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
   * The hostname sent in the open; an empty string sends none. Proton: `virtual_host`.
   * @default the URL's host
   */
  virtualHost?: string;
  /** The TLS server name (SNI). Proton: `sni`. @default the virtual host or the URL's host */
  sni?: string;
  /** The largest frame we accept. Proton: `max_frame_size`. @default 1048576 */
  maxFrameSize?: number;
  /**
   * The highest channel we accept. Proton 0.37 has no such option (Proton C: `pn_transport_set_channel_max`).
   * @default 32767
   */
  channelMax?: number;
  /**
   * Capabilities offered in the open's offered-capabilities (symbols). Proton: `offered_capabilities`.
   * @default none
   */
  offeredCapabilities?: string[];
  /**
   * Capabilities asked of the peer in the open's desired-capabilities (symbols). Proton:
   * `desired_capabilities`.
   * @default none
   */
  desiredCapabilities?: string[];
  /** Connection properties (keys are symbols). Proton: `properties`. */
  properties?: Map<AmqpValue, AmqpValue> | Record<string, AmqpValue>;
  /** The container-id sent in the open (Proton sets it per container only). @default the container's */
  containerId?: string;
}

/** What the connector and acceptor need of the container. */
export interface ContainerCore {
  readonly containerId: string;
  readonly logger: Logger;
  readonly stopped: boolean;
  /** Runs a turn (dispatch events, write output) soon. */
  requestTurn(): void;
}
