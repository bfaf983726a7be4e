/**
 * ANONYMOUS (RFC 4505): the client sends an optional trace string and is let in without credentials.
 * Proton's client sends the user name when it has one, else the trace `anonymous`; its server accepts any
 * trace and names the user `anonymous`. Both are mirrored here.
 */
import { SASLError } from '../errors.js';
import {
  type ClientMechanism,
  failure,
  SaslCode,
  type ServerMechanism,
  type ServerStep,
} from './mechanism.js';
import { utf8 } from './text.js';

/** The trace Proton's client sends when it has no user name. */
export const ANONYMOUS_TRACE = 'anonymous';

/** The client side of ANONYMOUS. */
export class AnonymousClient implements ClientMechanism {
  readonly name = 'ANONYMOUS';
  readonly #trace: string;

  /** @param trace the trace string of the initial response; Proton's default is `anonymous`. */
  constructor(trace: string = ANONYMOUS_TRACE) {
    this.#trace = trace;
  }

  initialResponse(): Uint8Array {
    return utf8(this.#trace);
  }

  challenge(): Uint8Array {
    throw new SASLError(
      'ANONYMOUS: the server sent a challenge, which this mechanism has none of',
      SaslCode.sysPerm,
    );
  }

  outcome(): void {}
}

/** The server side of ANONYMOUS: everyone is let in, as the user `anonymous`. */
export class AnonymousServer implements ServerMechanism {
  readonly name = 'ANONYMOUS';
  #done = false;

  init(_initialResponse?: Uint8Array, _hostname?: string): ServerStep {
    this.#done = true;
    return { outcome: SaslCode.ok, user: ANONYMOUS_TRACE };
  }

  response(_data?: Uint8Array): ServerStep {
    return failure(
      SaslCode.auth,
      `ANONYMOUS: unexpected sasl-response${this.#done ? ' after the outcome' : ''}`,
    );
  }
}
