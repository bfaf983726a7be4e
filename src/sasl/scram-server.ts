/**
 * The server side of SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), from stored
 * credentials ({@link ScramCredentials}): the server never holds a password. Channel binding is not
 * supported: a client that asks for it (`p=`) is refused. A user the lookup does not know gets a
 * consistent made-up salt and fails only at the proof, so the exchange does not tell who exists
 * (RFC 5802 section 5.1).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { callUser, failure, SaslCode, type ServerMechanism, type ServerStep } from './mechanism.js';
import {
  attribute,
  digest,
  fromBase64,
  hashLength,
  hmac,
  isNonce,
  randomNonce,
  SCRAM_DEFAULT_ITERATIONS,
  type ScramCredentials,
  type ScramHash,
  type ScramMechanismName,
  safeEqual,
  toBase64,
  unescapeName,
  xor,
} from './scram.js';
import { tryUtf8, utf8 } from './text.js';

/**
 * Finds the stored SCRAM credentials of a user for a mechanism, or undefined when there are none. The user
 * name is what the client sent, unescaped; the client prepared it with SASLprep (approximated as NFKC).
 * proton-ts only: a Proton server looks users up in Cyrus SASL's database instead.
 */
export type ScramCredentialLookup = (
  user: string,
  mechanism: ScramMechanismName,
) => ScramCredentials | undefined | PromiseLike<ScramCredentials | undefined>;

/** Options of a {@link ScramServer}. */
export interface ScramServerOptions {
  /**
   * Makes the server's part of the nonce; for tests only (RFC test vectors).
   * @default 24 random base64 characters
   */
  nonce?: (() => string) | undefined;
}

/** A per-process key from which the made-up salts of unknown users are derived. */
let unknownUserKey: Buffer | undefined;

function madeUpCredentials(hash: ScramHash, user: string): ScramCredentials {
  unknownUserKey ??= randomBytes(32);
  const length = hashLength(hash);
  return {
    salt: createHmac('sha256', unknownUserKey).update(`${hash}\0${user}`).digest().subarray(0, 16),
    iterations: SCRAM_DEFAULT_ITERATIONS,
    storedKey: randomBytes(length),
    serverKey: randomBytes(length),
  };
}

interface Exchange {
  readonly user: string;
  readonly authzid: string | undefined;
  readonly gs2Header: string;
  readonly clientFirstBare: string;
  readonly serverFirst: string;
  readonly nonce: string;
  readonly credentials: ScramCredentials;
  readonly known: boolean;
}

/** The server side of one SCRAM exchange. */
export class ScramServer implements ServerMechanism {
  readonly name: ScramMechanismName;
  readonly #hash: ScramHash;
  readonly #lookup: ScramCredentialLookup;
  readonly #makeNonce: () => string;
  #state: 'start' | 'challenged' | 'first-sent' | 'done' = 'start';
  #exchange: Exchange | undefined;

  constructor(hash: ScramHash, lookup: ScramCredentialLookup, options: ScramServerOptions = {}) {
    this.name = `SCRAM-${hash}`;
    this.#hash = hash;
    this.#lookup = lookup;
    this.#makeNonce = options.nonce ?? randomNonce;
  }

  init(initialResponse: Uint8Array | undefined, _hostname?: string): ServerStep | Promise<ServerStep> {
    if (this.#state !== 'start') return this.#fail('a second sasl-init');
    if (initialResponse === undefined) {
      // RFC 4422 section 5: no initial response, so ask for the client-first-message.
      this.#state = 'challenged';
      return { challenge: new Uint8Array(0) };
    }
    return this.#clientFirst(initialResponse);
  }

  response(data: Uint8Array): ServerStep | Promise<ServerStep> {
    if (this.#state === 'challenged') return this.#clientFirst(data);
    if (this.#state === 'first-sent') return this.#clientFinal(data);
    return this.#fail('unexpected sasl-response');
  }

  #fail(reason: string, code: 1 | 2 = SaslCode.auth): ServerStep {
    this.#state = 'done';
    return failure(code, `${this.name}: ${reason}`);
  }

  /** Reads the client-first-message, looks the user up and answers with the server-first-message. */
  #clientFirst(data: Uint8Array): ServerStep | Promise<ServerStep> {
    this.#state = 'done';
    const message = tryUtf8(data);
    if (message === undefined) return this.#fail('the client-first-message is not valid UTF-8');
    // gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const flagEnd = message.indexOf(',');
    const flag = message.slice(0, flagEnd);
    if (flag.startsWith('p='))
      return this.#fail('the client asks for channel binding, which is not supported');
    if (flagEnd < 0 || (flag !== 'n' && flag !== 'y')) return this.#fail('malformed gs2 header');
    const authzidEnd = message.indexOf(',', flagEnd + 1);
    if (authzidEnd < 0) return this.#fail('malformed gs2 header');
    const authzidPart = message.slice(flagEnd + 1, authzidEnd);
    let authzid: string | undefined;
    if (authzidPart !== '') {
      const escaped = attribute(authzidPart, 'a');
      authzid = escaped === undefined ? undefined : unescapeName(escaped);
      if (authzid === undefined || authzid === '' || authzid.includes('\0'))
        return this.#fail('malformed authzid');
    }
    const gs2Header = message.slice(0, authzidEnd + 1);
    const clientFirstBare = message.slice(authzidEnd + 1);
    if (clientFirstBare.startsWith('m=')) return this.#fail('the client requires an unsupported extension');
    const parts = clientFirstBare.split(',');
    const escapedUser = attribute(parts[0], 'n');
    const user = escapedUser === undefined ? undefined : unescapeName(escapedUser);
    const clientNonce = attribute(parts[1], 'r');
    if (user === undefined || user === '' || user.includes('\0')) return this.#fail('malformed user name');
    if (clientNonce === undefined || !isNonce(clientNonce)) return this.#fail('malformed client nonce');
    const serverNonce = this.#makeNonce();
    if (!isNonce(serverNonce))
      return this.#fail('the server nonce generator made an invalid nonce', SaslCode.sys);

    return callUser(
      'SCRAM credential lookup',
      () => this.#lookup(user, this.name),
      (found): ServerStep => {
        const credentials = found ?? madeUpCredentials(this.#hash, user);
        const problem = this.#checkCredentials(credentials);
        if (problem !== undefined)
          return this.#fail(`the stored credentials of '${user}' ${problem}`, SaslCode.sys);
        const nonce = clientNonce + serverNonce;
        const serverFirst = `r=${nonce},s=${toBase64(credentials.salt)},i=${credentials.iterations}`;
        this.#exchange = {
          user,
          authzid,
          gs2Header,
          clientFirstBare,
          serverFirst,
          nonce,
          credentials,
          known: found !== undefined,
        };
        this.#state = 'first-sent';
        return { challenge: utf8(serverFirst) };
      },
    );
  }

  #checkCredentials(c: ScramCredentials): string | undefined {
    const length = hashLength(this.#hash);
    if (!(c.salt instanceof Uint8Array) || c.salt.length === 0) return 'have no salt';
    if (!Number.isSafeInteger(c.iterations) || c.iterations < 1) return 'have a bad iteration count';
    if (!(c.storedKey instanceof Uint8Array) || c.storedKey.length !== length)
      return `do not fit ${this.name}`;
    if (!(c.serverKey instanceof Uint8Array) || c.serverKey.length !== length)
      return `do not fit ${this.name}`;
    return undefined;
  }

  /** Checks the client-final-message's proof and answers with the server signature. */
  #clientFinal(data: Uint8Array): ServerStep {
    this.#state = 'done';
    const x = this.#exchange!;
    const message = tryUtf8(data);
    if (message === undefined) return this.#fail('the client-final-message is not valid UTF-8');
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) return this.#fail('the client-final-message has no proof');
    const withoutProof = message.slice(0, proofAt);
    const parts = withoutProof.split(',');
    if (attribute(parts[0], 'c') !== toBase64(utf8(x.gs2Header))) {
      return this.#fail('the channel binding does not repeat the gs2 header');
    }
    if (attribute(parts[1], 'r') !== x.nonce) return this.#fail('the nonce does not match');
    const proof = fromBase64(message.slice(proofAt + 3));
    const hash = this.#hash;
    if (proof === undefined || proof.length !== hashLength(hash)) return this.#fail('malformed proof');

    const { storedKey, serverKey } = x.credentials;
    const authMessage = `${x.clientFirstBare},${x.serverFirst},${withoutProof}`;
    const clientKey = xor(proof, hmac(hash, storedKey, authMessage));
    const proven = safeEqual(digest(hash, clientKey), storedKey);
    if (!x.known) return this.#fail(`unknown user '${x.user}'`);
    if (!proven) return this.#fail(`wrong proof (password) for user '${x.user}'`);
    const serverFinal = `v=${toBase64(hmac(hash, serverKey, authMessage))}`;
    return {
      outcome: SaslCode.ok,
      user: x.user,
      ...(x.authzid === undefined ? {} : { authzid: x.authzid }),
      additionalData: utf8(serverFinal),
    };
  }
}
