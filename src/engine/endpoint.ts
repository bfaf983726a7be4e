/** What connections, sessions and links share: a local and a remote state, and conditions. */
import type { Condition } from './condition.js';

/** Endpoint state flags, as Proton's: one local and one remote flag make an endpoint's `state`. */
export const State = {
  LOCAL_UNINIT: 1,
  LOCAL_ACTIVE: 2,
  LOCAL_CLOSED: 4,
  REMOTE_UNINIT: 8,
  REMOTE_ACTIVE: 16,
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
