/**
 * `EndpointStateHandler`: turns the open and close events of connections, sessions and links into the
 * `on*Opening`, `on*Opened`, `on*Closing`, `on*Closed` and `on*Error` callbacks, and a lost transport
 * into `onDisconnected`.
 */
import type { Event } from '../container/event.js';
import { ErrorCondition } from '../engine/condition.js';
import type { Connection } from '../engine/connection.js';
import { type Endpoint, State } from '../engine/endpoint.js';
import type { Link } from '../engine/link.js';
import type { Session } from '../engine/session.js';
import type { Transport } from '../engine/transport.js';
import { type Logger, NULL_LOGGER } from '../util/logger.js';
import { raise } from './delegate.js';
import { Handler } from './handler.js';
import { checkOptions } from './options.js';

/**
 * Options of an {@link EndpointStateHandler} (Proton: the `EndpointStateHandler(peer_close_is_error,
 * delegate)` constructor arguments).
 */
export interface EndpointStateHandlerOptions {
  /**
   * Report a peer's close without a condition through `on*Error` rather than `on*Closing`
   * (Proton: `peer_close_is_error`).
   * @default false
   */
  peerCloseIsError?: boolean;
  /**
   * The handler whose callbacks are called (a `MessagingHandler`) (Proton: `delegate`).
   * @default this handler
   */
  delegate?: object;
  /**
   * Where the default error callbacks log. proton-ts only: Proton Python logs to the `proton` logger.
   * @default no logging
   */
  logger?: Logger;
}

/** The endpoint kinds, as the callback names spell them. */
type Kind = 'connection' | 'session' | 'link';
type Closable = (Connection | Session | Link) & Endpoint;

/**
 * Turns the engine's open and close events into the messaging callbacks (Proton: `EndpointStateHandler`,
 * a child of `MessagingHandler`). The callbacks, raised on the delegate (`on<Kind><What>`, `Kind` being
 * Connection, Session or Link):
 *
 * - `opened`: the endpoint is open both ways (on the local open when the peer had opened, or on the
 *   peer's open when we had).
 * - `opening`: the peer opened an endpoint we had not; it is then opened here, and `opened` follows.
 * - `error`: the peer closed it with a condition (or without one, under `peerCloseIsError`).
 * - `closing`: the peer closed it first, without a condition.
 * - `closed`: it is closed both ways. Every close ends with it, once, whoever began: after `closing` or
 *   `error`, it comes when the local close answering the peer's is made.
 *   Proton 0.37 gives no `closed` after a peer-initiated close; Proton `main` does, and so do we.
 * - `disconnected`: the transport's input ended while the connection was still open here. Once per
 *   transport (Proton 0.37 fires it on both `transport_tail_closed` and `transport_closed`).
 *
 * Each peer close is answered with a local close, but a connection closed by the peer with
 * `amqp:connection:forced` gives no callback and is not closed here: reconnecting takes over.
 *
 * Without a delegate, the callbacks go to this handler (so a subclass may define them), and the error
 * callbacks log through `logger`.
 */
export class EndpointStateHandler extends Handler {
  /** See {@link EndpointStateHandlerOptions.peerCloseIsError} (Proton: `peer_close_is_error`). */
  readonly peerCloseIsError: boolean;
  /**
   * The object whose `on*` callbacks are raised: the delegate given, else this handler (Proton: `delegate`).
   */
  readonly delegate: object;
  /** Where the default error callbacks log. proton-ts only: Proton Python logs to the `proton` logger. */
  readonly logger: Logger;
  private readonly openedRaised = new WeakSet<Endpoint>();
  private readonly closedRaised = new WeakSet<Endpoint>();
  private readonly disconnectedRaised = new WeakSet<Transport>();

  constructor(options: EndpointStateHandlerOptions = {}) {
    super();
    checkOptions('EndpointStateHandler', options, {
      peerCloseIsError: 'boolean',
      delegate: 'object',
      logger: 'logger',
    });
    this.peerCloseIsError = options.peerCloseIsError ?? false;
    this.delegate = options.delegate ?? this;
    this.logger = options.logger ?? NULL_LOGGER;
  }

  // Opens ----------------------------------------------------------------------------------------

  /**
   * Proton: `on_connection_local_open` (we sent or queued our `open`): raises `onConnectionOpened` if the
   * peer's open already came.
   */
  onConnectionLocalOpen(event: Event): void {
    this.localOpened('connection', event.connection, event);
  }

  /**
   * Proton: `on_connection_remote_open`, on the peer's `open`: raises `onConnectionOpened`, or
   * `onConnectionOpening` and then opens the connection here if it was not.
   */
  onConnectionRemoteOpen(event: Event): void {
    this.remoteOpened('connection', event.connection, event);
  }

  /**
   * Proton: `on_session_local_open` (we sent or queued our `begin`): raises `onSessionOpened` if the peer's
   * begin already came.
   */
  onSessionLocalOpen(event: Event): void {
    this.localOpened('session', event.session, event);
  }

  /**
   * Proton: `on_session_remote_open`, on the peer's `begin`: raises `onSessionOpened`, or `onSessionOpening`
   * and then opens the session here if it was not.
   */
  onSessionRemoteOpen(event: Event): void {
    this.remoteOpened('session', event.session, event);
  }

  /**
   * Proton: `on_link_local_open` (we sent or queued our `attach`): raises `onLinkOpened` if the peer's attach
   * already came.
   */
  onLinkLocalOpen(event: Event): void {
    this.localOpened('link', event.link, event);
  }

  /**
   * Proton: `on_link_remote_open`, on the peer's `attach`: raises `onLinkOpened`, or `onLinkOpening` and then
   * opens the link here if it was not.
   */
  onLinkRemoteOpen(event: Event): void {
    this.remoteOpened('link', event.link, event);
  }

  // Closes ---------------------------------------------------------------------------------------

  /**
   * Proton: `on_connection_local_close` (we queued our `close`): raises `onConnectionClosed` if the peer's
   * close already came.
   */
  onConnectionLocalClose(event: Event): void {
    this.localClosed('connection', event.connection, event);
  }

  /**
   * Proton: `on_connection_remote_close`, on the peer's `close`: raises `onConnectionError` or
   * `onConnectionClosing`, then answers with a local close. A close with `amqp:connection:forced` is left to
   * reconnect.
   */
  onConnectionRemoteClose(event: Event): void {
    const c = event.connection;
    if (c?.remoteCondition?.name === ErrorCondition.connectionForced) return;
    this.remoteClosed('connection', c, event);
  }

  /**
   * Proton: `on_session_local_close` (we queued our `end`): raises `onSessionClosed` if the peer's end
   * already came.
   */
  onSessionLocalClose(event: Event): void {
    this.localClosed('session', event.session, event);
  }

  /**
   * Proton: `on_session_remote_close`, on the peer's `end`: raises `onSessionError` or `onSessionClosing`,
   * then answers with a local close.
   */
  onSessionRemoteClose(event: Event): void {
    this.remoteClosed('session', event.session, event);
  }

  /**
   * Proton: `on_link_local_close` (we queued our `detach`): raises `onLinkClosed` if the peer's detach
   * already came.
   */
  onLinkLocalClose(event: Event): void {
    this.localClosed('link', event.link, event);
  }

  /**
   * Proton: `on_link_remote_close`, on the peer's `detach`: raises `onLinkError` or `onLinkClosing`, then
   * answers with a local close.
   */
  onLinkRemoteClose(event: Event): void {
    this.remoteClosed('link', event.link, event);
  }

  // Transport ------------------------------------------------------------------------------------

  /**
   * Proton: `on_transport_tail_closed` (no more input: the socket's read side ended): raises `onDisconnected`
   * once if the connection is still open here.
   */
  onTransportTailClosed(event: Event): void {
    this.disconnected(event);
  }

  /**
   * Proton: `on_transport_closed` (input and output both ended): raises `onDisconnected` once if it was not
   * already raised for this transport.
   */
  onTransportClosed(event: Event): void {
    this.disconnected(event);
  }

  // Default error callbacks, used when this handler is its own delegate --------------------------

  /**
   * The default `onConnectionError` when this handler is its own delegate: logs the peer's condition (Proton:
   * `EndpointStateHandler.on_connection_error`).
   */
  onConnectionError(event: Event): void {
    if (event.connection !== undefined)
      EndpointStateHandler.printError(event.connection, 'connection', this.logger);
  }

  /**
   * The default `onSessionError` when this handler is its own delegate: logs the peer's condition (Proton:
   * `EndpointStateHandler.on_session_error`).
   */
  onSessionError(event: Event): void {
    if (event.session !== undefined) EndpointStateHandler.printError(event.session, 'session', this.logger);
  }

  /**
   * The default `onLinkError` when this handler is its own delegate: logs the peer's condition (Proton:
   * `EndpointStateHandler.on_link_error`).
   */
  onLinkError(event: Event): void {
    if (event.link !== undefined) EndpointStateHandler.printError(event.link, 'link', this.logger);
  }

  // State tests, as Proton's class methods --------------------------------------------------------

  /** Whether `endpoint` is open here (LOCAL_ACTIVE) (Proton: `EndpointStateHandler.is_local_open`). */
  static isLocalOpen(endpoint: Endpoint): boolean {
    return (endpoint.state & State.LOCAL_ACTIVE) !== 0;
  }

  /**
   * Whether `endpoint` is not yet opened here (LOCAL_UNINIT) (Proton:
   * `EndpointStateHandler.is_local_uninitialised`).
   */
  static isLocalUninitialised(endpoint: Endpoint): boolean {
    return (endpoint.state & State.LOCAL_UNINIT) !== 0;
  }

  /** Whether `endpoint` is closed here (LOCAL_CLOSED) (Proton: `EndpointStateHandler.is_local_closed`). */
  static isLocalClosed(endpoint: Endpoint): boolean {
    return (endpoint.state & State.LOCAL_CLOSED) !== 0;
  }

  /**
   * Whether `endpoint` is opened by the peer (REMOTE_ACTIVE) (Proton: `EndpointStateHandler.is_remote_open`).
   */
  static isRemoteOpen(endpoint: Endpoint): boolean {
    return (endpoint.state & State.REMOTE_ACTIVE) !== 0;
  }

  /**
   * Whether `endpoint` is closed by the peer (REMOTE_CLOSED) (Proton:
   * `EndpointStateHandler.is_remote_closed`).
   */
  static isRemoteClosed(endpoint: Endpoint): boolean {
    return (endpoint.state & State.REMOTE_CLOSED) !== 0;
  }

  /**
   * Logs why the peer closed `endpoint`: its condition's description (or name), or `<type> closed by
   * peer` when it closed without one while still open here (Proton: `EndpointStateHandler.print_error`,
   * which logs to the `proton` logger rather than a given one).
   */
  static printError(endpoint: Endpoint, type: string, logger: Logger): void {
    const c = endpoint.remoteCondition;
    if (c !== undefined) logger.error(c.description || c.name);
    else if (EndpointStateHandler.isLocalOpen(endpoint) && EndpointStateHandler.isRemoteClosed(endpoint)) {
      logger.error(`${type} closed by peer`);
    }
  }

  // The rules --------------------------------------------------------------------------------------

  private localOpened(kind: Kind, ep: Endpoint | undefined, event: Event): void {
    if (ep !== undefined && ep.remoteState === State.REMOTE_ACTIVE) this.opened(kind, ep, event);
  }

  private remoteOpened(kind: Kind, ep: Closable | undefined, event: Event): void {
    if (ep === undefined) return;
    if (ep.localState === State.LOCAL_ACTIVE) this.opened(kind, ep, event);
    else if (ep.localState === State.LOCAL_UNINIT) {
      raise(this.delegate, `${kind}_opening`, event);
      // The local open queues a local-open event, which raises `opened`.
      ep.open();
    }
  }

  private opened(kind: Kind, ep: Endpoint, event: Event): void {
    // Once: the local and the remote open may both find the other side open when they are handled late.
    if (this.openedRaised.has(ep)) return;
    this.openedRaised.add(ep);
    raise(this.delegate, `${kind}_opened`, event);
  }

  private localClosed(kind: Kind, ep: Endpoint | undefined, event: Event): void {
    if (ep !== undefined && ep.remoteState === State.REMOTE_CLOSED) this.closed(kind, ep, event);
  }

  private remoteClosed(kind: Kind, ep: Closable | undefined, event: Event): void {
    if (ep === undefined) return;
    const wasClosed = ep.localState === State.LOCAL_CLOSED;
    if (ep.remoteCondition !== undefined) raise(this.delegate, `${kind}_error`, event);
    else if (wasClosed) return this.closed(kind, ep, event);
    else if (this.peerCloseIsError) raise(this.delegate, `${kind}_error`, event);
    else raise(this.delegate, `${kind}_closing`, event);
    // Closed here before: no local-close event will come, so `closed` is raised now. Otherwise the
    // local close queues one, which raises it.
    if (wasClosed) this.closed(kind, ep, event);
    else ep.close();
  }

  private closed(kind: Kind, ep: Endpoint, event: Event): void {
    if (this.closedRaised.has(ep)) return;
    this.closedRaised.add(ep);
    raise(this.delegate, `${kind}_closed`, event);
  }

  private disconnected(event: Event): void {
    const c = event.connection;
    if (c === undefined) return;
    // The connection, its sessions and links may open again on a new transport (a reconnect): their
    // opened callbacks are owed again then, as Proton raises them on each remote open.
    this.openedRaised.delete(c);
    for (const s of c.sessions) this.openedRaised.delete(s);
    for (const l of c.links) this.openedRaised.delete(l);
    if (c.localState !== State.LOCAL_ACTIVE) return;
    const t = event.transport;
    if (t !== undefined) {
      if (this.disconnectedRaised.has(t)) return;
      this.disconnectedRaised.add(t);
    }
    raise(this.delegate, 'disconnected', event);
  }
}
