/**
 * PLAIN (RFC 4616): one message `authzid NUL authcid NUL passwd`, in UTF-8. The password travels in the
 * clear, so the negotiator offers and picks PLAIN only over an encrypted transport unless insecure
 * mechanisms are allowed.
 */
import { InvalidOptionError, SASLError } from '../errors.js';
import {
  type ClientMechanism,
  callUser,
  failure,
  SaslCode,
  type ServerMechanism,
  type ServerStep,
} from './mechanism.js';
import { tryUtf8, utf8 } from './text.js';

/**
 * Checks a user name and password on the server: true to let the user in. `authzid` is the identity the
 * client asks to act as, when it asks (undefined for an empty authzid); the callback decides whether
 * `user` may act as it. The strings are exactly what the client sent (in the AMQP `sasl-init`
 * `initial-response`). proton-ts only: a Proton server checks passwords through Cyrus SASL instead.
 */
export type PlainAuthenticator = (
  user: string,
  password: string,
  authzid: string | undefined,
) => boolean | PromiseLike<boolean>;

/** The client's credentials for PLAIN. */
export interface PlainCredentials {
  readonly user: string;
  readonly password: string;
  readonly authzid?: string | undefined;
}

/** The client side of PLAIN. */
export class PlainClient implements ClientMechanism {
  readonly name = 'PLAIN';
  readonly #message: Uint8Array;

  /** @throws InvalidOptionError when a field holds a NUL, or the user or the password is empty. */
  constructor(credentials: PlainCredentials) {
    const { user, password, authzid = '' } = credentials;
    for (const [option, value] of [
      ['user', user],
      ['password', password],
      ['authzid', authzid],
    ] as const) {
      if (value.includes('\0')) throw new InvalidOptionError(option, 'PLAIN cannot carry a NUL character');
    }
    if (user === '') throw new InvalidOptionError('user', 'PLAIN needs a non-empty user name');
    if (password === '') throw new InvalidOptionError('password', 'PLAIN needs a non-empty password');
    this.#message = utf8(`${authzid}\0${user}\0${password}`);
  }

  initialResponse(): Uint8Array {
    return this.#message;
  }

  challenge(): Uint8Array {
    throw new SASLError('PLAIN: the server sent a challenge after the initial response', SaslCode.sysPerm);
  }

  outcome(): void {}
}

/** The server side of PLAIN: the message is checked by the user's {@link PlainAuthenticator}. */
export class PlainServer implements ServerMechanism {
  readonly name = 'PLAIN';
  readonly #authenticate: PlainAuthenticator;
  #state: 'start' | 'challenged' | 'done' = 'start';

  constructor(authenticate: PlainAuthenticator) {
    this.#authenticate = authenticate;
  }

  init(initialResponse: Uint8Array | undefined, _hostname?: string): ServerStep | Promise<ServerStep> {
    if (this.#state !== 'start') return this.#finish(failure(SaslCode.auth, 'PLAIN: a second sasl-init'));
    if (initialResponse === undefined) {
      // RFC 4422 section 5: no initial response, so ask for it with an empty challenge.
      this.#state = 'challenged';
      return { challenge: new Uint8Array(0) };
    }
    return this.#check(initialResponse);
  }

  response(data: Uint8Array): ServerStep | Promise<ServerStep> {
    if (this.#state !== 'challenged')
      return this.#finish(failure(SaslCode.auth, 'PLAIN: unexpected sasl-response'));
    return this.#check(data);
  }

  #finish(step: ServerStep): ServerStep {
    this.#state = 'done';
    return step;
  }

  #check(message: Uint8Array): ServerStep | Promise<ServerStep> {
    this.#state = 'done';
    const fields = splitPlain(message);
    if (fields === undefined) return failure(SaslCode.auth, 'PLAIN: malformed message');
    const [authzid, user, password] = fields;
    return callUser(
      'PLAIN authenticator',
      () => this.#authenticate(user, password, authzid === '' ? undefined : authzid),
      (ok): ServerStep =>
        ok === true
          ? { outcome: SaslCode.ok, user, ...(authzid === '' ? {} : { authzid }) }
          : failure(SaslCode.auth, `PLAIN: invalid credentials for user '${user}'`),
    );
  }
}

/** `[authzid, authcid, passwd]`, or undefined when the message is not two NULs between valid UTF-8. */
function splitPlain(message: Uint8Array): [string, string, string] | undefined {
  const first = message.indexOf(0);
  const second = first < 0 ? -1 : message.indexOf(0, first + 1);
  if (second < 0 || message.indexOf(0, second + 1) >= 0) return undefined;
  const authzid = tryUtf8(message.subarray(0, first));
  const user = tryUtf8(message.subarray(first + 1, second));
  const password = tryUtf8(message.subarray(second + 1));
  if (authzid === undefined || user === undefined || password === undefined) return undefined;
  if (user === '' || password === '') return undefined;
  return [authzid, user, password];
}
