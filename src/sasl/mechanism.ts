/**
 * The SASL plug-in contract. A mechanism is a small state machine over opaque bytes: the engine's transport
 * carries those bytes in sasl-init, sasl-challenge, sasl-response and sasl-outcome frames and calls these
 * methods; the mechanisms never see a frame, a socket or a clock.
 */

/** The SASL outcome codes of AMQP 1.0 (section 5.3.3.6). */
export const SaslCode = {
  /** Authentication succeeded. */
  ok: 0,
  /** Authentication failed: a problem with the supplied credentials. */
  auth: 1,
  /** Authentication failed: a system error. */
  sys: 2,
  /** Authentication failed: a system error that is unlikely to be corrected without intervention. */
  sysPerm: 3,
  /** Authentication failed: a transient system error. */
  sysTemp: 4,
} as const;

/** One of the SASL outcome codes. */
export type SaslCode = (typeof SaslCode)[keyof typeof SaslCode];

/** The codes of a failed outcome. */
export type SaslFailureCode = Exclude<SaslCode, 0>;

/** The server sends a sasl-challenge with these bytes and waits for the client's sasl-response. */
export interface ServerChallenge {
  readonly challenge: Uint8Array;
}

/** The exchange succeeded: the server sends sasl-outcome ok. */
export interface ServerSuccess {
  readonly outcome: 0;
  /** The authenticated identity (Proton's `pn_sasl_get_user`). */
  readonly user: string;
  /** The authorization identity the client asked for, when it asked for one (PLAIN, EXTERNAL, SCRAM). */
  readonly authzid?: string;
  /** The outcome's additional-data (SCRAM's server-final-message). */
  readonly additionalData?: Uint8Array;
}

/** The exchange failed: the server sends sasl-outcome with this code and closes. */
export interface ServerFailure {
  readonly outcome: SaslFailureCode;
  /** Why, for the server's own logs and condition; the sasl-outcome frame carries no text. */
  readonly reason?: string;
}

/** One step of a server-side exchange: send a challenge and wait, or finish with an outcome. */
export type ServerStep = ServerChallenge | ServerSuccess | ServerFailure;

/** The client side of one mechanism, used for one exchange. */
export interface ClientMechanism {
  /** The mechanism name, as it goes in sasl-init (`PLAIN`, `SCRAM-SHA-256` ...). */
  readonly name: string;
  /**
   * The initial response of sasl-init, or undefined to send none. `hostname` is the sasl-init hostname the
   * engine will send, if any; no built-in mechanism uses it.
   */
  initialResponse(hostname: string | undefined): Uint8Array | undefined;
  /** The response to a server challenge; throws {@link SASLError} when the challenge is not acceptable. */
  challenge(data: Uint8Array): Uint8Array;
  /**
   * Called when the server's outcome is ok, with its additional data. Checks it (SCRAM verifies the server
   * signature here); throws {@link SASLError} when the server has not proved itself.
   */
  outcome(additionalData: Uint8Array | undefined): void;
}

/**
 * The server side of one mechanism, used for one exchange. Neither method throws nor rejects: every failure,
 * including one of a user-supplied callback, comes back as a {@link ServerFailure}.
 */
export interface ServerMechanism {
  /** The mechanism name. */
  readonly name: string;
  /** The client's sasl-init; may be asynchronous (a user-supplied authenticator may be). */
  init(
    initialResponse: Uint8Array | undefined,
    hostname: string | undefined,
  ): ServerStep | Promise<ServerStep>;
  /** A sasl-response to our challenge. */
  response(data: Uint8Array): ServerStep | Promise<ServerStep>;
}

/** True when the step is a challenge. */
export function isChallenge(step: ServerStep): step is ServerChallenge {
  return 'challenge' in step;
}

/** True when the step ends the exchange successfully. */
export function isSuccess(step: ServerStep): step is ServerSuccess {
  return 'outcome' in step && step.outcome === SaslCode.ok;
}

/** A failed step. */
export function failure(outcome: SaslFailureCode, reason: string): ServerFailure {
  return { outcome, reason };
}

/**
 * Applies `f` to a value that may be a promise, staying synchronous when it is not; a throw or a rejection
 * becomes `onError`'s step, so a server mechanism never throws.
 */
export function andThen<T>(
  value: T | PromiseLike<T>,
  f: (v: T) => ServerStep | Promise<ServerStep>,
  onError: (e: unknown) => ServerStep,
): ServerStep | Promise<ServerStep> {
  if (isPromiseLike(value)) return Promise.resolve(value).then(f).catch(onError);
  try {
    const r = f(value);
    return isPromiseLike(r) ? Promise.resolve(r).catch(onError) : r;
  } catch (e) {
    return onError(e);
  }
}

function isPromiseLike<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** A thrown value as text, whatever it is (`String()` itself throws for some objects). */
function describe(e: unknown): string {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return 'an unprintable value';
  }
}

/** Runs a user callback; its throw or rejection becomes a sys outcome. */
export function callUser<T>(
  what: string,
  call: () => T | PromiseLike<T>,
  f: (v: T) => ServerStep | Promise<ServerStep>,
): ServerStep | Promise<ServerStep> {
  const onError = (e: unknown): ServerStep => failure(SaslCode.sys, `${what} failed: ${describe(e)}`);
  let value: T | PromiseLike<T>;
  try {
    value = call();
  } catch (e) {
    return onError(e);
  }
  return andThen(value, f, onError);
}
