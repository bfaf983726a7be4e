/**
 * The error family of proton-ts. Every error carries the AMQP condition it stands for, so a caller can
 * match on `condition` whichever layer raised it. This file imports nothing: every layer may use it.
 */

/**
 * Options shared by every {@link ProtonError}: the fields of an AMQP `error` (condition, info) plus a
 * standard `cause`. proton-ts only: Proton Python's exceptions take just a message.
 */
export interface ProtonErrorOptions {
  /** The AMQP error condition, for example `amqp:decode-error`. */
  condition?: string;
  /** Extra information, as the `info` map of an AMQP `error`. */
  info?: unknown;
  /** The error that led to this one (standard `Error.cause`); default none. proton-ts only: not in Proton. */
  cause?: unknown;
}

/** The base of every error proton-ts throws. Proton: `ProtonException`. */
export class ProtonError extends Error {
  /** The AMQP error condition (a symbol such as `amqp:decode-error`). */
  readonly condition: string;
  /** The AMQP `info` map, when there is one. */
  readonly info: unknown;

  constructor(message: string, options: ProtonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProtonError';
    this.condition = options.condition ?? 'amqp:internal-error';
    this.info = options.info;
  }

  /** The AMQP error description: the message. */
  get description(): string {
    return this.message;
  }
}

/**
 * Bytes that are not valid AMQP: truncated input, an unknown format code, a size that overruns the
 * buffer, invalid UTF-8, nesting past the limit, a composite missing a mandatory field. Proton:
 * `DataException`; its condition is `amqp:decode-error`.
 */
export class DecodeError extends ProtonError {
  /**
   * The byte offset in the input where decoding failed. proton-ts only: Proton's `DataException` has none.
   */
  readonly offset: number;

  constructor(message: string, offset: number, options: ProtonErrorOptions = {}) {
    super(`${message} (at byte ${offset})`, { condition: 'amqp:decode-error', ...options });
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

/**
 * A value that cannot be encoded as the AMQP type asked for (a negative ulong, a 300 ubyte...). Proton:
 * `DataException`.
 */
export class EncodeError extends ProtonError {
  constructor(message: string, options: ProtonErrorOptions = {}) {
    super(message, { condition: 'amqp:invalid-field', ...options });
    this.name = 'EncodeError';
  }
}

/**
 * A wrong option or argument: the message names it; its condition is AMQP `amqp:invalid-field`. Proton Python
 * raises a plain `ValueError`, `TypeError` or `AttributeError` instead.
 */
export class InvalidOptionError extends ProtonError {
  /** The name of the offending option. proton-ts only: Proton has no counterpart. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`invalid option '${option}': ${message}`, { condition: 'amqp:invalid-field' });
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/**
 * A SASL exchange that failed: the peer refused our credentials, or we refused the peer's (a SCRAM server
 * signature that does not match, a challenge that is not well formed). `code` is the SASL outcome code:
 * 1 auth, 2 sys, 3 sys-perm, 4 sys-temp. Proton raises no exception for it: the transport fails with
 * `amqp:unauthorized-access`, as here.
 */
export class SASLError extends ProtonError {
  /** The SASL outcome code (AMQP 1.0 section 5.3.3.6): 1 auth, 2 sys, 3 sys-perm, 4 sys-temp. */
  readonly code: number;

  constructor(message: string, code = 1, options: ProtonErrorOptions = {}) {
    super(message, { condition: 'amqp:unauthorized-access', ...options });
    this.name = 'SASLError';
    this.code = code;
  }
}

/**
 * An error condition as a rejected outcome carries it to the sender: a symbolic name, an optional
 * description and optional info (AMQP: the `error` composite, `amqp:error:list`). The engine's `Condition`
 * fits, as Proton's `Condition` does.
 */
export interface ConditionLike {
  /**
   * The condition's symbolic name, for example `amqp:invalid-field`. AMQP: `error.condition`; Proton:
   * `Condition.name`.
   */
  readonly name: string;
  /** What went wrong, for people. AMQP: `error.description`; Proton: `Condition.description`. */
  readonly description?: string | undefined;
  /** Extra information: a map keyed by symbols. AMQP: `error.info`; Proton: `Condition.info`. */
  readonly info?: unknown;
}

/**
 * Thrown from `onMessage` to reject the message: the delivery is settled with the rejected outcome,
 * carrying `error` when one is given (Proton's `Reject`). Any other exception propagates.
 */
export class Reject extends ProtonError {
  /**
   * The error the rejected outcome carries to the sender (AMQP `rejected.error`); undefined (the default)
   * for none. proton-ts only: Proton's `Reject` carries no condition.
   */
  readonly error: ConditionLike | undefined;

  constructor(message = 'message rejected', error?: ConditionLike) {
    super(message, error === undefined ? {} : { condition: error.name, info: error.info });
    this.name = 'Reject';
    this.error = error;
  }
}

/**
 * Thrown from `onMessage` to release the message: the delivery is settled with the modified outcome,
 * delivery-failed and undeliverable-here both false, as Proton 0.37 sends it (Proton's `Release`).
 */
export class Release extends ProtonError {
  constructor(message = 'message released') {
    super(message);
    this.name = 'Release';
  }
}

// ------------------------------------------------------------------------------------------------
// The promise API's errors (src/promise/), named as Proton's blocking utilities name them.

/** An operation did not complete in the time it was given (Proton's `Timeout`). */
export class Timeout extends ProtonError {
  constructor(message: string, options: ProtonErrorOptions = {}) {
    super(message, { condition: 'amqp:resource-limit-exceeded', ...options });
    this.name = 'Timeout';
  }
}

/**
 * An operation was called off through its AbortSignal; `cause` is the signal's reason. Proton has no
 * AbortSignal, so no such error.
 */
export class OperationAborted extends ProtonError {
  constructor(message: string, options: ProtonErrorOptions = {}) {
    super(message, { condition: 'amqp:internal-error', ...options });
    this.name = 'OperationAborted';
  }
}

/**
 * The connection was closed (by the peer, with `condition` when it gave one) or lost for good, so what
 * was waiting on it cannot complete (Proton's `ConnectionClosed`).
 */
export class ConnectionClosed extends ProtonError {
  constructor(message: string, options: ProtonErrorOptions = {}) {
    super(message, { condition: 'amqp:connection:forced', ...options });
    this.name = 'ConnectionClosed';
  }
}

/** A link was closed by the peer (or refused at attach), with its condition (Proton's `LinkDetached`). */
export class LinkDetached extends ProtonError {
  constructor(message: string, options: ProtonErrorOptions = {}) {
    super(message, { condition: 'amqp:link:detach-forced', ...options });
    this.name = 'LinkDetached';
  }
}

/**
 * A message sent was not accepted: `outcome` says how the receiver settled it ('rejected', 'released'
 * or 'modified') and `state` is the outcome itself, with its error or its delivery-failed flags
 * (Proton's `SendException`, whose `state` this is).
 */
export class SendException extends ProtonError {
  constructor(
    message: string,
    /**
     * 'rejected', 'released' or 'modified': the AMQP outcome's name. proton-ts only: Proton's `SendException`
     * has just `state`.
     */
    readonly outcome: string,
    /**
     * The receiver's outcome (a `Rejected`, `Released` or `Modified`: AMQP `disposition.state`). Proton:
     * `SendException.state`, there only the outcome's type code.
     */
    readonly state: unknown,
    options: ProtonErrorOptions = {},
  ) {
    super(message, options);
    this.name = 'SendException';
  }
}

/**
 * The connection was lost after a message was sent and before its outcome came back: the peer may or
 * may not have it. A sender opened with `resend: true` sends such messages again after a reconnect
 * instead of failing them with this. Proton has no such error.
 */
export class DeliveryInDoubt extends ProtonError {
  constructor(message: string, options: ProtonErrorOptions = {}) {
    super(message, { condition: 'amqp:connection:forced', ...options });
    this.name = 'DeliveryInDoubt';
  }
}
