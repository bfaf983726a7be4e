/** What connections, sessions and links share: a local and a remote state, and conditions. */
import type { Condition } from './condition.js';

/** Endpoint state flags, as Proton's: one local and one remote flag make an endpoint's `state`. */
export const State = {
  /** Not yet opened here (Proton: `Endpoint.LOCAL_UNINIT`). */
  LOCAL_UNINIT: 1,
  /** Opened here: our open, begin or attach is sent or queued (Proton: `Endpoint.LOCAL_ACTIVE`). */
  LOCAL_ACTIVE: 2,
  /** Closed here: our close, end or detach is sent or queued (Proton: `Endpoint.LOCAL_CLOSED`). */
  LOCAL_CLOSED: 4,
  /** The peer has not opened it yet (Proton: `Endpoint.REMOTE_UNINIT`). */
  REMOTE_UNINIT: 8,
  /** The peer's open, begin or attach arrived (Proton: `Endpoint.REMOTE_ACTIVE`). */
  REMOTE_ACTIVE: 16,
  /** The peer's close, end or detach arrived (Proton: `Endpoint.REMOTE_CLOSED`). */
  REMOTE_CLOSED: 32,
} as const;

/** The base of `Connection`, `Session` and `Link`. Proton: `Endpoint`. */
export abstract class Endpoint {
  /**
   * LOCAL_UNINIT, LOCAL_ACTIVE or LOCAL_CLOSED (default LOCAL_UNINIT). Proton Python has no field of its
   * own for it: it is the local bits of `Endpoint.state`.
   */
  localState: number = State.LOCAL_UNINIT;
  /**
   * REMOTE_UNINIT, REMOTE_ACTIVE or REMOTE_CLOSED (default REMOTE_UNINIT). Proton Python has no field of
   * its own for it: it is the remote bits of `Endpoint.state`.
   */
  remoteState: number = State.REMOTE_UNINIT;
  /**
   * The condition sent when this endpoint closes, as the `error` of the AMQP close, end or detach.
   * Proton: `Endpoint.condition`.
   */
  condition: Condition | undefined = undefined;
  /**
   * The condition the peer sent when it closed this endpoint (the `error` of its close, end or detach).
   * Proton: `Endpoint.remote_condition`.
   */
  remoteCondition: Condition | undefined = undefined;
  /**
   * Application data: the engine never touches it (Proton Python code sets attributes on the endpoint
   * instead; Proton C: `pn_connection_get_context` and the like).
   */
  context: unknown = undefined;
  /**
   * The handler for this endpoint's events (the container dispatches to it); the engine never touches it.
   * Proton: `Endpoint.handler`.
   */
  handler: unknown = undefined;

  /** The OR of the local and the remote state flags. Proton: `Endpoint.state`. */
  get state(): number {
    return this.localState | this.remoteState;
  }
}
