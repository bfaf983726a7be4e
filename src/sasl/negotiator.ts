/**
 * The SASL decisions, apart from the frames: which mechanism a client picks from the server's list, which
 * mechanisms a server offers, and which {@link ServerMechanism} answers a client's choice. The engine's
 * transport carries the frames and calls these; the options are validated when a negotiator is made, so a
 * wrong option fails at connect or listen time, not in the middle of an exchange.
 */
import { InvalidOptionError } from '../errors.js';
import { ANONYMOUS_TRACE, AnonymousClient, AnonymousServer } from './anonymous.js';
import { ExternalClient, ExternalServer } from './external.js';
import {
  type ClientMechanism,
  failure,
  SaslCode,
  type ServerFailure,
  type ServerMechanism,
} from './mechanism.js';
import { type PlainAuthenticator, PlainClient, PlainServer } from './plain.js';
import { SCRAM_DEFAULT_ITERATIONS, SCRAM_MECHANISMS, type ScramMechanismName } from './scram.js';
import { ScramClient } from './scram-client.js';
import { type ScramCredentialLookup, ScramServer } from './scram-server.js';

/** The mechanisms proton-ts implements, strongest first: the order in which a client prefers them. */
export const SASL_MECHANISMS = [
  'SCRAM-SHA-512',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1',
  'PLAIN',
  'EXTERNAL',
  'ANONYMOUS',
] as const;

/** The name of a mechanism proton-ts implements. */
export type SaslMechanismName = (typeof SASL_MECHANISMS)[number];

/** The client's SASL options (Proton's `user`, `password`, `allowed_mechs`, `allow_insecure_mechs`). */
export interface ClientSaslOptions {
  /**
   * The user name, for SCRAM and PLAIN. Without one the client authenticates as ANONYMOUS (or EXTERNAL).
   * @default none
   */
  user?: string | undefined;
  /**
   * The password, for SCRAM and PLAIN.
   * @default none
   */
  password?: string | undefined;
  /**
   * The authorization identity: the identity to act as, when it is not the user's own (PLAIN, EXTERNAL,
   * SCRAM).
   * @default none
   */
  authzid?: string | undefined;
  /**
   * The mechanisms the client may use, as a list or a space-separated string (Proton's `allowed_mechs`),
   * case-insensitive. A mechanism listed here is used even where it would not be by default: ANONYMOUS with
   * a user, whose name is then sent as the trace, as Proton does.
   * @default every mechanism proton-ts has (SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, EXTERNAL,
   * ANONYMOUS)
   */
  allowedMechs?: readonly string[] | string | undefined;
  /**
   * Allows PLAIN, which sends the password in the clear, over a transport that is not encrypted. Proton's
   * `Container` sets it by default; a bare transport does not.
   * @default false
   */
  allowInsecureMechs?: boolean | undefined;
  /**
   * The smallest SCRAM iteration count accepted from a server.
   * @default 4096
   */
  scramMinIterations?: number | undefined;
}

/** What the client's transport knows of its own security. */
export interface ClientTransportInfo {
  /** The transport is encrypted (TLS). */
  readonly encrypted: boolean;
  /**
   * The transport gives the server an identity for us (a TLS client certificate), so EXTERNAL can work.
   * @default false
   */
  readonly externalIdentity?: boolean | undefined;
}

/** A client's choice: a mechanism, or why none fits (the engine closes with `amqp:unauthorized-access`). */
export type ClientChoice =
  | { readonly mechanism: ClientMechanism; readonly reason?: undefined }
  | { readonly mechanism?: undefined; readonly reason: string };

/** Splits and checks a list of mechanism names, naming `option` when one is unknown. */
function mechanismList(option: string, value: unknown): SaslMechanismName[] {
  const names =
    typeof value === 'string'
      ? value.split(/\s+/).filter((s) => s !== '')
      : Array.isArray(value)
        ? value
        : undefined;
  if (names === undefined)
    throw new InvalidOptionError(option, 'expected a list or a space-separated string');
  const out: SaslMechanismName[] = [];
  for (const name of names) {
    const upper = typeof name === 'string' ? name.toUpperCase() : undefined;
    const known = SASL_MECHANISMS.find((m) => m === upper);
    if (known === undefined) {
      throw new InvalidOptionError(
        option,
        `unknown SASL mechanism '${String(name)}' (known: ${SASL_MECHANISMS.join(' ')})`,
      );
    }
    if (!out.includes(known)) out.push(known);
  }
  if (out.length === 0) throw new InvalidOptionError(option, 'no mechanism is listed');
  return out;
}

function optionalString(option: string, value: unknown, noNul: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidOptionError(option, 'expected a string');
  if (noNul && value.includes('\0')) throw new InvalidOptionError(option, 'contains a NUL character');
  return value;
}

function optionalBoolean(option: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new InvalidOptionError(option, 'expected a boolean');
}

/** The client's decisions, for one set of {@link ClientSaslOptions}. */
export class ClientNegotiator {
  /** The mechanisms the client may use, strongest first. */
  readonly allowed: readonly SaslMechanismName[];
  readonly #user: string | undefined;
  readonly #password: string | undefined;
  readonly #authzid: string | undefined;
  readonly #explicit: boolean;
  readonly #allowInsecure: boolean;
  readonly #scramMinIterations: number;

  /** @throws InvalidOptionError naming a wrong option. */
  constructor(options: ClientSaslOptions = {}) {
    this.#user = optionalString('user', options.user, true);
    this.#password = optionalString('password', options.password, true);
    this.#authzid = optionalString('authzid', options.authzid, true);
    this.#explicit = options.allowedMechs !== undefined;
    const allowed = this.#explicit
      ? mechanismList('allowedMechs', options.allowedMechs)
      : [...SASL_MECHANISMS];
    this.allowed = SASL_MECHANISMS.filter((m) => allowed.includes(m));
    this.#allowInsecure = optionalBoolean('allowInsecureMechs', options.allowInsecureMechs) ?? false;
    this.#scramMinIterations = options.scramMinIterations ?? SCRAM_DEFAULT_ITERATIONS;
    if (!Number.isSafeInteger(this.#scramMinIterations) || this.#scramMinIterations < 1) {
      throw new InvalidOptionError(
        'scramMinIterations',
        `${this.#scramMinIterations} is not a positive integer`,
      );
    }
  }

  /**
   * Picks the strongest mechanism that the server offers, the client allows and the credentials and
   * transport make usable: SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1 (a user and a password), PLAIN (a user
   * and a password, over an encrypted transport unless insecure mechanisms are allowed), EXTERNAL (the
   * transport gives an identity), ANONYMOUS (no user, or ANONYMOUS named in `allowedMechs`).
   */
  choose(offered: readonly string[], transport: ClientTransportInfo): ClientChoice {
    const offeredUpper = new Set(offered.map((m) => m.toUpperCase()));
    const why: string[] = [];
    for (const name of this.allowed) {
      if (!offeredUpper.has(name)) continue;
      const problem = this.#problem(name, transport);
      if (problem === undefined) return { mechanism: this.#make(name) };
      why.push(`${name} ${problem}`);
    }
    const list = offered.length === 0 ? 'none' : offered.join(' ');
    const notAllowed = offered.filter((m) => !this.allowed.some((a) => a === m.toUpperCase()));
    if (notAllowed.length > 0) why.push(`not allowed or not implemented: ${notAllowed.join(' ')}`);
    return {
      reason: `no SASL mechanism fits: the server offers ${list}${why.map((w) => `; ${w}`).join('')}`,
    };
  }

  /** Why the mechanism cannot be used, or undefined when it can. */
  #problem(name: SaslMechanismName, transport: ClientTransportInfo): string | undefined {
    const credentials = Boolean(this.#user) && Boolean(this.#password);
    switch (name) {
      case 'PLAIN':
        if (!credentials) return 'needs a user and a password';
        if (!transport.encrypted && !this.#allowInsecure) {
          return 'needs an encrypted transport (or allowInsecureMechs)';
        }
        return undefined;
      case 'EXTERNAL':
        return transport.externalIdentity === true
          ? undefined
          : 'needs a transport identity (client certificate)';
      case 'ANONYMOUS':
        return !this.#user || this.#explicit ? undefined : 'is not used when a user is given';
      default:
        return credentials ? undefined : 'needs a user and a password';
    }
  }

  #make(name: SaslMechanismName): ClientMechanism {
    switch (name) {
      case 'PLAIN':
        return new PlainClient({ user: this.#user!, password: this.#password!, authzid: this.#authzid });
      case 'EXTERNAL':
        return new ExternalClient(this.#authzid);
      case 'ANONYMOUS':
        return new AnonymousClient(this.#user || ANONYMOUS_TRACE);
      default:
        return new ScramClient(SCRAM_MECHANISMS[name], {
          user: this.#user!,
          password: this.#password!,
          authzid: this.#authzid,
          minIterations: this.#scramMinIterations,
        });
    }
  }
}

/** The server's SASL options. */
export interface ServerSaslOptions {
  /**
   * The mechanisms to offer, as a list or a space-separated string, case-insensitive. PLAIN needs
   * `authenticate`, SCRAM needs `scramCredentials`; EXTERNAL is offered only when there is an
   * `externalIdentity`, PLAIN only over an encrypted transport unless `allowInsecureMechs`.
   * @default the SCRAM mechanisms with `scramCredentials`, PLAIN with `authenticate`, EXTERNAL with an
   * `externalIdentity`, and ANONYMOUS when neither `authenticate` nor `scramCredentials` is given (a server
   * with no credentials to check offers ANONYMOUS, as Proton's does)
   */
  mechanisms?: readonly string[] | string | undefined;
  /**
   * Offers PLAIN over a transport that is not encrypted.
   * @default false
   */
  allowInsecureMechs?: boolean | undefined;
  /**
   * Checks a PLAIN user name and password.
   * @default none: PLAIN is not offered
   */
  authenticate?: PlainAuthenticator | undefined;
  /**
   * Finds a user's stored SCRAM credentials (make them with `scramCredentials()`).
   * @default none: SCRAM is not offered
   */
  scramCredentials?: ScramCredentialLookup | undefined;
  /**
   * The identity the transport established for this connection, such as the subject of the client's TLS
   * certificate; EXTERNAL authenticates the client as it.
   * @default none: EXTERNAL is not offered
   */
  externalIdentity?: string | undefined;
}

/** What the server's transport knows of its own security. */
export interface ServerTransportInfo {
  /** The transport is encrypted (TLS). */
  readonly encrypted: boolean;
}

/** The server's decisions for one connection. */
export class ServerNegotiator {
  /** The mechanisms to offer in sasl-mechanisms (possibly none, when nothing configured can be used here). */
  readonly mechanisms: readonly SaslMechanismName[];
  readonly #authenticate: PlainAuthenticator | undefined;
  readonly #lookup: ScramCredentialLookup | undefined;
  readonly #identity: string | undefined;

  /** @throws InvalidOptionError naming a wrong option. */
  constructor(options: ServerSaslOptions, transport: ServerTransportInfo) {
    for (const option of ['authenticate', 'scramCredentials'] as const) {
      if (options[option] !== undefined && typeof options[option] !== 'function') {
        throw new InvalidOptionError(option, 'expected a function');
      }
    }
    this.#authenticate = options.authenticate;
    this.#lookup = options.scramCredentials;
    this.#identity = optionalString('externalIdentity', options.externalIdentity, false);
    const allowInsecure = optionalBoolean('allowInsecureMechs', options.allowInsecureMechs) ?? false;
    let wanted: SaslMechanismName[];
    if (options.mechanisms === undefined) {
      const checks = this.#authenticate !== undefined || this.#lookup !== undefined;
      wanted = SASL_MECHANISMS.filter((m) => {
        if (m === 'PLAIN') return this.#authenticate !== undefined;
        if (m === 'EXTERNAL') return true;
        if (m === 'ANONYMOUS') return !checks;
        return this.#lookup !== undefined;
      });
    } else {
      wanted = mechanismList('mechanisms', options.mechanisms);
      for (const m of wanted) {
        if (m === 'PLAIN' && this.#authenticate === undefined) {
          throw new InvalidOptionError(
            'authenticate',
            'PLAIN is listed in mechanisms but there is no authenticate',
          );
        }
        if (m.startsWith('SCRAM-') && this.#lookup === undefined) {
          throw new InvalidOptionError(
            'scramCredentials',
            `${m} is listed in mechanisms but there is no lookup`,
          );
        }
      }
    }
    this.mechanisms = wanted.filter((m) => {
      if (m === 'PLAIN') return transport.encrypted || allowInsecure;
      if (m === 'EXTERNAL') return this.#identity !== undefined && this.#identity !== '';
      return true;
    });
  }

  /** The mechanism answering the client's sasl-init, or an auth failure for one we did not offer (as Proton). */
  select(name: string): ServerMechanism | ServerFailure {
    const offered = this.mechanisms.find((m) => m === name.toUpperCase());
    switch (offered) {
      case undefined:
        return failure(SaslCode.auth, `the client chose '${name}', which was not offered`);
      case 'PLAIN':
        return new PlainServer(this.#authenticate!);
      case 'EXTERNAL':
        return new ExternalServer(this.#identity);
      case 'ANONYMOUS':
        return new AnonymousServer();
      default:
        return new ScramServer(SCRAM_MECHANISMS[offered as ScramMechanismName], this.#lookup!);
    }
  }
}

/** True when {@link ServerNegotiator.select} refused the mechanism. */
export function isRefusal(selected: ServerMechanism | ServerFailure): selected is ServerFailure {
  return 'outcome' in selected;
}
