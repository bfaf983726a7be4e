/**
 * Engine events: every change the application must learn of, named as Proton's engine events are
 * (`connection_remote_open`, `link_flow`, `delivery`...). The container dispatches each to the handler
 * method named `on` plus the name in camel case (`methodName` in container/dispatch.ts).
 */

/** The engine's event types, in Proton's names. */
export const EventType = {
  connectionInit: 'connection_init',
  connectionBound: 'connection_bound',
  connectionUnbound: 'connection_unbound',
  connectionLocalOpen: 'connection_local_open',
  connectionRemoteOpen: 'connection_remote_open',
  connectionLocalClose: 'connection_local_close',
  connectionRemoteClose: 'connection_remote_close',
  connectionFinal: 'connection_final',
  sessionInit: 'session_init',
  sessionLocalOpen: 'session_local_open',
  sessionRemoteOpen: 'session_remote_open',
  sessionLocalClose: 'session_local_close',
  sessionRemoteClose: 'session_remote_close',
  sessionFinal: 'session_final',
  linkInit: 'link_init',
  linkLocalOpen: 'link_local_open',
  linkRemoteOpen: 'link_remote_open',
  linkLocalClose: 'link_local_close',
  linkRemoteClose: 'link_remote_close',
  linkLocalDetach: 'link_local_detach',
  linkRemoteDetach: 'link_remote_detach',
  linkFlow: 'link_flow',
  linkFinal: 'link_final',
  delivery: 'delivery',
  transport: 'transport',
  transportAuthenticated: 'transport_authenticated',
  transportError: 'transport_error',
  transportHeadClosed: 'transport_head_closed',
  transportTailClosed: 'transport_tail_closed',
  transportClosed: 'transport_closed',
} as const;

/** The name of an engine event type. */
export type EventTypeName = (typeof EventType)[keyof typeof EventType];

/** One event: its type and the object it is about (a connection, session, link, delivery or transport). */
export class EngineEvent<C = unknown> {
  constructor(
    readonly type: EventTypeName,
    readonly context: C,
  ) {}
}
