/**
 * The client side of SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), without channel
 * binding (gs2 header `n,,`, or `n,a=authzid,`). The client proves it knows the password without sending it,
 * and refuses a server that cannot prove it knows the stored keys.
 */
import { InvalidOptionError, SASLError } from '../errors.js';
import type { ClientMechanism } from './mechanism.js';
import { SaslCode } from './mechanism.js';
import {
  attribute,
  digest,
  escapeName,
  fromBase64,
  hashLength,
  hmac,
  isNonce,
  randomNonce,
  SCRAM_DEFAULT_ITERATIONS,
  type ScramHash,
  safeEqual,
  saltedPassword,
  toBase64,
  xor,
} from './scram.js';
import { fromUtf8, saslPrep, utf8 } from './text.js';

/** The largest iteration count a client accepts by default: a bound on the work a server can make it do. */
export const SCRAM_MAX_ITERATIONS = 10_000_000;

/** Options of a {@link ScramClient}. */
export interface ScramClientOptions {
  /** The user name; prepared with {@link saslPrep} and escaped. */
  user: string;
  /** The password; prepared with {@link saslPrep}. */
  password: string;
  /**
   * The identity to act as (the gs2 header's `a=`).
   * @default none
   */
  authzid?: string | undefined;
  /**
   * The smallest iteration count the client accepts from the server (RFC 7677 section 4 asks for 4096).
   * @default 4096
   */
  minIterations?: number | undefined;
  /**
   * The largest iteration count the client accepts, so that a server cannot make it work for minutes.
   * @default 10_000_000
   */
  maxIterations?: number | undefined;
  /**
   * The client nonce; for tests only (RFC test vectors), a fresh random one is the default and the only
   * safe choice.
   * @default 24 random base64 characters
   */
  nonce?: string | undefined;
}

type State = 'initial' | 'first-sent' | 'final-sent' | 'verified' | 'failed';

/**
 * The client side of one SCRAM exchange. `challenge()` derives the salted password synchronously
 * (PBKDF2, as many rounds as the server's iteration count: a few milliseconds at 4096), which is why the
 * count is bounded by `maxIterations`.
 */
export class ScramClient implements ClientMechanism {
  readonly name: string;
  readonly #hash: ScramHash;
  readonly #password: string;
  readonly #gs2Header: string;
  readonly #clientFirstBare: string;
  readonly #nonce: string;
  readonly #minIterations: number;
  readonly #maxIterations: number;
  #state: State = 'initial';
  #serverSignature: Uint8Array | undefined;

  /** @throws InvalidOptionError for an unusable nonce or iteration bound. */
  constructor(hash: ScramHash, options: ScramClientOptions) {
    this.name = `SCRAM-${hash}`;
    if (hashLength(hash) === undefined) throw new InvalidOptionError('hash', `unknown SCRAM hash '${hash}'`);
    this.#hash = hash;
    this.#password = options.password;
    this.#minIterations = options.minIterations ?? SCRAM_DEFAULT_ITERATIONS;
    this.#maxIterations = options.maxIterations ?? SCRAM_MAX_ITERATIONS;
    for (const [option, value] of [
      ['minIterations', this.#minIterations],
      ['maxIterations', this.#maxIterations],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new InvalidOptionError(option, `${value} is not a positive integer`);
      }
    }
    this.#nonce = options.nonce ?? randomNonce();
    if (!isNonce(this.#nonce)) {
      throw new InvalidOptionError('nonce', 'a nonce is printable ASCII characters other than a comma');
    }
    for (const option of ['user', 'authzid'] as const) {
      if (options[option]?.includes('\0'))
        throw new InvalidOptionError(option, 'a SCRAM name cannot hold NUL');
    }
    const authzid = options.authzid ? `a=${escapeName(saslPrep(options.authzid))}` : '';
    this.#gs2Header = `n,${authzid},`;
    this.#clientFirstBare = `n=${escapeName(saslPrep(options.user))},r=${this.#nonce}`;
  }

  initialResponse(): Uint8Array {
    if (this.#state !== 'initial')
      throw this.#fail('the initial response was already sent', SaslCode.sysPerm);
    this.#state = 'first-sent';
    return utf8(this.#gs2Header + this.#clientFirstBare);
  }

  challenge(data: Uint8Array): Uint8Array {
    switch (this.#state) {
      case 'first-sent':
        return this.#serverFirst(data);
      case 'final-sent':
        // A server that cannot put additional data in its outcome sends the server-final-message as a
        // challenge (RFC 4422 section 5), and the client answers with an empty response.
        this.#verify(data);
        return new Uint8Array(0);
      default:
        throw this.#fail(`unexpected challenge (state ${this.#state})`, SaslCode.sysPerm);
    }
  }

  outcome(additionalData: Uint8Array | undefined): void {
    if (this.#state === 'final-sent') {
      if (additionalData === undefined || additionalData.length === 0) {
        throw this.#fail('the server reported success without proving it knows the password', SaslCode.auth);
      }
      this.#verify(additionalData);
    } else if (this.#state === 'verified') {
      if (additionalData !== undefined && additionalData.length > 0) this.#verify(additionalData);
    } else {
      throw this.#fail(`the server reported success before the exchange finished (state ${this.#state})`);
    }
  }

  /** Reads the server-first-message and returns the client-final-message. */
  #serverFirst(data: Uint8Array): Uint8Array {
    const message = this.#text(data, 'server-first-message');
    if (message.startsWith('m='))
      throw this.#fail('the server requires an unsupported extension', SaslCode.sysPerm);
    const parts = message.split(',');
    const nonce = attribute(parts[0], 'r');
    const saltText = attribute(parts[1], 's');
    const iterationText = attribute(parts[2], 'i');
    if (nonce === undefined || saltText === undefined || iterationText === undefined) {
      throw this.#fail('malformed server-first-message', SaslCode.sysPerm);
    }
    if (!isNonce(nonce) || !nonce.startsWith(this.#nonce) || nonce.length === this.#nonce.length) {
      throw this.#fail('the server nonce does not extend the client nonce', SaslCode.auth);
    }
    const salt = fromBase64(saltText);
    if (salt === undefined || salt.length === 0) throw this.#fail('malformed salt', SaslCode.sysPerm);
    if (!/^[1-9][0-9]{0,15}$/.test(iterationText)) {
      throw this.#fail(`malformed iteration count '${iterationText}'`, SaslCode.sysPerm);
    }
    const iterations = Number(iterationText);
    if (iterations < this.#minIterations) {
      throw this.#fail(
        `iteration count ${iterations} is below the minimum ${this.#minIterations}`,
        SaslCode.auth,
      );
    }
    if (iterations > this.#maxIterations) {
      throw this.#fail(
        `iteration count ${iterations} is above the maximum ${this.#maxIterations}`,
        SaslCode.auth,
      );
    }

    const hash = this.#hash;
    const salted = saltedPassword(hash, this.#password, salt, iterations);
    const clientKey = hmac(hash, salted, 'Client Key');
    const withoutProof = `c=${toBase64(utf8(this.#gs2Header))},r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${message},${withoutProof}`;
    const clientSignature = hmac(hash, digest(hash, clientKey), authMessage);
    this.#serverSignature = hmac(hash, hmac(hash, salted, 'Server Key'), authMessage);
    this.#state = 'final-sent';
    return utf8(`${withoutProof},p=${toBase64(xor(clientKey, clientSignature))}`);
  }

  /** Checks the server-final-message. */
  #verify(data: Uint8Array): void {
    const message = this.#text(data, 'server-final-message');
    const first = message.split(',', 1)[0];
    const error = attribute(first, 'e');
    if (error !== undefined) throw this.#fail(`the server refused: ${error}`, SaslCode.auth);
    const verifier = attribute(first, 'v');
    const signature = verifier === undefined ? undefined : fromBase64(verifier);
    if (signature === undefined) throw this.#fail('malformed server-final-message', SaslCode.sysPerm);
    if (!safeEqual(signature, this.#serverSignature!)) {
      throw this.#fail('the server signature does not match: the server does not know the password');
    }
    this.#state = 'verified';
  }

  #text(data: Uint8Array, what: string): string {
    try {
      return fromUtf8(data, `${this.name}: the ${what}`, SaslCode.sysPerm);
    } catch (e) {
      this.#state = 'failed';
      throw e;
    }
  }

  #fail(message: string, code: number = SaslCode.auth): SASLError {
    this.#state = 'failed';
    return new SASLError(`${this.name}: ${message}`, code);
  }
}
