/**
 * Engine events: every change the application must learn of, named as Proton's engine events are
 * (`connection_remote_open`, `link_flow`, `delivery`...). The container dispatches each to the handler
 * method named `on` plus the name in camel case (`methodName` in container/dispatch.ts).
 */

/** The engine's event types, in Proton's names. */
export const EventType = {
  /** A connection object was made (Proton: `on_connection_init`, `PN_CONNECTION_INIT`). */
  connectionInit: 'connection_init',
  /** A connection was bound to a transport (Proton: `on_connection_bound`). */
  connectionBound: 'connection_bound',
  /** A connection was unbound from its transport (Proton: `on_connection_unbound`). */
  connectionUnbound: 'connection_unbound',
  /** This side opened the connection: its AMQP open is queued (Proton: `on_connection_local_open`). */
  connectionLocalOpen: 'connection_local_open',
  /** The peer's AMQP open arrived (Proton: `on_connection_remote_open`). */
  connectionRemoteOpen: 'connection_remote_open',
  /** This side closed the connection: its AMQP close is queued (Proton: `on_connection_local_close`). */
  connectionLocalClose: 'connection_local_close',
  /** The peer's AMQP close arrived (Proton: `on_connection_remote_close`). */
  connectionRemoteClose: 'connection_remote_close',
  /** The connection is done with and will raise no more events (Proton: `on_connection_final`). */
  connectionFinal: 'connection_final',
  /** A session object was made (Proton: `on_session_init`). */
  sessionInit: 'session_init',
  /** This side began the session: its AMQP begin is queued (Proton: `on_session_local_open`). */
  sessionLocalOpen: 'session_local_open',
  /** The peer's AMQP begin arrived (Proton: `on_session_remote_open`). */
  sessionRemoteOpen: 'session_remote_open',
  /** This side ended the session: its AMQP end is queued (Proton: `on_session_local_close`). */
  sessionLocalClose: 'session_local_close',
  /** The peer's AMQP end arrived (Proton: `on_session_remote_close`). */
  sessionRemoteClose: 'session_remote_close',
  /** The session is done with (Proton: `on_session_final`). */
  sessionFinal: 'session_final',
  /** A link object was made (Proton: `on_link_init`). */
  linkInit: 'link_init',
  /** This side attached the link: its AMQP attach is queued (Proton: `on_link_local_open`). */
  linkLocalOpen: 'link_local_open',
  /** The peer's AMQP attach arrived (Proton: `on_link_remote_open`). */
  linkRemoteOpen: 'link_remote_open',
  /** This side closed the link: a detach with closed=true is queued (Proton: `on_link_local_close`). */
  linkLocalClose: 'link_local_close',
  /** The peer's detach with closed=true arrived (Proton: `on_link_remote_close`). */
  linkRemoteClose: 'link_remote_close',
  /**
   * This side detached the link without closing it (closed=false), so it may be resumed (Proton:
   * `on_link_local_detach`).
   */
  linkLocalDetach: 'link_local_detach',
  /** The peer's detach with closed=false arrived (Proton: `on_link_remote_detach`). */
  linkRemoteDetach: 'link_remote_detach',
  /**
   * The link's flow state changed: credit, drain or available, from an AMQP flow or locally (Proton:
   * `on_link_flow`).
   */
  linkFlow: 'link_flow',
  /** The link is done with (Proton: `on_link_final`). */
  linkFinal: 'link_final',
  /**
   * A delivery changed: a transfer arrived, or the peer's disposition updated or settled it (Proton:
   * `on_delivery`).
   */
  delivery: 'delivery',
  /** The transport has bytes to write or its state moved on (Proton: `on_transport`). */
  transport: 'transport',
  /** The SASL exchange succeeded and the AMQP layer begins (Proton C: `PN_TRANSPORT_AUTHENTICATED`). */
  transportAuthenticated: 'transport_authenticated',
  /**
   * The transport failed: a protocol, SASL or socket error, with a condition on the transport (Proton:
   * `on_transport_error`).
   */
  transportError: 'transport_error',
  /** The transport will write no more bytes (Proton: `on_transport_head_closed`). */
  transportHeadClosed: 'transport_head_closed',
  /** The transport will read no more bytes (Proton: `on_transport_tail_closed`). */
  transportTailClosed: 'transport_tail_closed',
  /** The transport is closed both ways (Proton: `on_transport_closed`). */
  transportClosed: 'transport_closed',
} as const;

/**
 * The name of an engine event type: Proton Python's handler method without its `on_`
 * (`EventType.method`), which is Proton C's name (`PN_LINK_FLOW`) without `PN_`, in lower case.
 */
export type EventTypeName = (typeof EventType)[keyof typeof EventType];

/**
 * One event: its type and the object it is about (a connection, session, link, delivery or transport).
 * Proton: `Event`.
 */
export class EngineEvent<C = unknown> {
  constructor(
    /** The event's type, such as `'link_flow'` (Proton: `Event.type`). */
    readonly type: EventTypeName,
    /** The object the event is about (Proton: `Event.context`). */
    readonly context: C,
  ) {}
}
