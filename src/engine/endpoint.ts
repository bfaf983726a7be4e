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

/** The base of `Connection`, `Session` and `Link`. */
export abstract class Endpoint {
  /** LOCAL_UNINIT, LOCAL_ACTIVE or LOCAL_CLOSED. */
  localState: number = State.LOCAL_UNINIT;
  /** REMOTE_UNINIT, REMOTE_ACTIVE or REMOTE_CLOSED. */
  remoteState: number = State.REMOTE_UNINIT;
  /** The condition sent when this endpoint closes. */
  condition: Condition | undefined = undefined;
  /** The condition the peer sent when it closed this endpoint. */
  remoteCondition: Condition | undefined = undefined;
  /** Application data: the engine never touches it. */
  context: unknown = undefined;
  /** The handler for this endpoint's events (the container dispatches to it); the engine never touches it. */
  handler: unknown = undefined;

  /** The OR of the local and the remote state flags. */
  get state(): number {
    return this.localState | this.remoteState;
  }
}
