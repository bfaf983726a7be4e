/** An AMQP error condition: what goes in the `error` of a close, end, detach or rejected outcome. */
import { AmqpError } from '../codec/composite-types.js';
import type { AmqpValue } from '../codec/types.js';

/** The conditions the engine itself raises (the spec's amqp-error, connection-error, link-error...). */
export const ErrorCondition = {
  internalError: 'amqp:internal-error',
  notFound: 'amqp:not-found',
  unauthorizedAccess: 'amqp:unauthorized-access',
  decodeError: 'amqp:decode-error',
  resourceLimitExceeded: 'amqp:resource-limit-exceeded',
  notAllowed: 'amqp:not-allowed',
  invalidField: 'amqp:invalid-field',
  notImplemented: 'amqp:not-implemented',
  illegalState: 'amqp:illegal-state',
  frameSizeTooSmall: 'amqp:frame-size-too-small',
  connectionForced: 'amqp:connection:forced',
  framingError: 'amqp:connection:framing-error',
  windowViolation: 'amqp:session:window-violation',
  errantLink: 'amqp:session:errant-link',
  handleInUse: 'amqp:session:handle-in-use',
  unattachedHandle: 'amqp:session:unattached-handle',
  detachForced: 'amqp:link:detach-forced',
  transferLimitExceeded: 'amqp:link:transfer-limit-exceeded',
  messageSizeExceeded: 'amqp:link:message-size-exceeded',
  stolen: 'amqp:link:stolen',
} as const;

/** An error condition: a symbolic name, an optional description and optional info. */
export class Condition {
  constructor(
    readonly name: string,
    readonly description?: string,
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

  toString(): string {
    return this.description ? `${this.name}: ${this.description}` : this.name;
  }
}
