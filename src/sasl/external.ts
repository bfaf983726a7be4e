/**
 * EXTERNAL (RFC 4422 appendix A): the identity comes from outside SASL, in AMQP from the TLS client
 * certificate. The client may ask for an authorization identity; Proton's client sends an empty initial
 * response when it has none, and so does this one.
 */
import { SASLError } from '../errors.js';
import {
  type ClientMechanism,
  failure,
  SaslCode,
  type ServerFailure,
  type ServerMechanism,
  type ServerSuccess,
} from './mechanism.js';
import { tryUtf8, utf8 } from './text.js';

/** The client side of EXTERNAL. */
export class ExternalClient implements ClientMechanism {
  readonly name = 'EXTERNAL';
  readonly #authzid: string;

  /** @param authzid the identity to act as; by default none (the identity of the certificate). */
  constructor(authzid = '') {
    this.#authzid = authzid;
  }

  initialResponse(): Uint8Array {
    return utf8(this.#authzid);
  }

  challenge(): Uint8Array {
    throw new SASLError('EXTERNAL: the server sent a challenge after the initial response', SaslCode.sysPerm);
  }

  outcome(): void {}
}

/**
 * The server side of EXTERNAL: the user is the identity the transport established (such as the subject of
 * the client's TLS certificate); without one the client is refused.
 */
export class ExternalServer implements ServerMechanism {
  readonly name = 'EXTERNAL';
  readonly #identity: string | undefined;
  #done = false;

  /** @param identity the identity the transport established, or undefined when there is none. */
  constructor(identity: string | undefined) {
    this.#identity = identity;
  }

  init(initialResponse: Uint8Array | undefined, _hostname?: string): ServerSuccess | ServerFailure {
    if (this.#done) return failure(SaslCode.auth, 'EXTERNAL: a second sasl-init');
    this.#done = true;
    if (this.#identity === undefined || this.#identity === '') {
      return failure(
        SaslCode.auth,
        'EXTERNAL: the transport established no identity (no client certificate)',
      );
    }
    // As Proton, an absent initial response is taken as an empty authzid rather than asked for again.
    const authzid = initialResponse === undefined ? '' : tryUtf8(initialResponse);
    if (authzid === undefined) return failure(SaslCode.auth, 'EXTERNAL: the authzid is not valid UTF-8');
    return { outcome: SaslCode.ok, user: this.#identity, ...(authzid === '' ? {} : { authzid }) };
  }

  response(_data?: Uint8Array): ServerFailure {
    this.#done = true;
    return failure(SaslCode.auth, 'EXTERNAL: unexpected sasl-response');
  }
}
