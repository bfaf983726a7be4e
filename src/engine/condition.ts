/** An AMQP error condition: what goes in the `error` of a close, end, detach or rejected outcome. */
import { AmqpError } from '../codec/composite-types.js';
import type { AmqpValue } from '../codec/types.js';

/**
 * The conditions the engine itself raises (the AMQP spec's amqp-error, connection-error, session-error and
 * link-error symbols), by a camelCase name. Proton Python has no such table: it takes the symbol strings.
 */
export const ErrorCondition = {
  /** The peer hit an internal error it cannot recover from. */
  internalError: 'amqp:internal-error',
  /** The node (queue, topic, address) asked for does not exist. */
  notFound: 'amqp:not-found',
  /** The peer is not allowed to do that (failed authentication or authorization). */
  unauthorizedAccess: 'amqp:unauthorized-access',
  /** Bytes could not be decoded: a malformed frame or value. */
  decodeError: 'amqp:decode-error',
  /** A limit was passed: too many connections, links, messages or bytes. */
  resourceLimitExceeded: 'amqp:resource-limit-exceeded',
  /** The peer tried something forbidden in this state or by this node. */
  notAllowed: 'amqp:not-allowed',
  /** A field of a frame held an invalid value. */
  invalidField: 'amqp:invalid-field',
  /** The peer asked for a feature this side does not have. */
  notImplemented: 'amqp:not-implemented',
  /** The peer tried to use an endpoint in a state that forbids it. */
  illegalState: 'amqp:illegal-state',
  /** A frame had to be larger than the negotiated max-frame-size. */
  frameSizeTooSmall: 'amqp:frame-size-too-small',
  /** An operator or the container closed the connection (a connection-error). */
  connectionForced: 'amqp:connection:forced',
  /** The byte stream broke AMQP framing (a connection-error). */
  framingError: 'amqp:connection:framing-error',
  /** The peer sent past the session's incoming window (a session-error). */
  windowViolation: 'amqp:session:window-violation',
  /** A frame named a link in the wrong state (a session-error). */
  errantLink: 'amqp:session:errant-link',
  /** An attach reused a handle that is still attached (a session-error). */
  handleInUse: 'amqp:session:handle-in-use',
  /** A frame named a handle that is not attached (a session-error). */
  unattachedHandle: 'amqp:session:unattached-handle',
  /** An operator or the container detached the link (a link-error). */
  detachForced: 'amqp:link:detach-forced',
  /** The sender sent without credit (a link-error). */
  transferLimitExceeded: 'amqp:link:transfer-limit-exceeded',
  /** A message was larger than the link's max-message-size (a link-error). */
  messageSizeExceeded: 'amqp:link:message-size-exceeded',
  /** Another attach with the same link name took this link over (a link-error). */
  stolen: 'amqp:link:stolen',
} as const;

/**
 * An error condition: a symbolic name, an optional description and optional info; the AMQP `error` type.
 * Proton: `Condition`.
 */
export class Condition {
  constructor(
    /**
     * The condition's symbolic name, such as `amqp:not-found` (see {@link ErrorCondition}). AMQP:
     * `error.condition`; Proton: `Condition.name`.
     */
    readonly name: string,
    /** What went wrong, for people. AMQP: `error.description`; Proton: `Condition.description`. */
    readonly description?: string,
    /** Further detail as a map with symbol keys. AMQP: `error.info`; Proton: `Condition.info`. */
    readonly info?: Map<AmqpValue, AmqpValue>,
  ) {}

  /** The AMQP `error` composite of this condition. */
  toError(): AmqpError {
    const e = new AmqpError();
    e.condition = this.name;
    e.description = this.description;
    e.info = this.info;
    return e;
  }

  /** The condition of a received AMQP `error`, or undefined for none. */
  static fromError(e: unknown): Condition | undefined {
    if (!(e instanceof AmqpError)) return undefined;
    const info = e.info instanceof Map ? (e.info as Map<AmqpValue, AmqpValue>) : undefined;
    return new Condition(String(e.condition), e.description, info);
  }

  /**
   * `name: description`, or the name alone: proton-ts only (Proton Python's `repr` gives
   * `Condition('name', 'description')`).
   */
  toString(): string {
    return this.description ? `${this.name}: ${this.description}` : this.name;
  }
}
