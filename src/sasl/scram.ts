/**
 * What the SCRAM client and server share (RFC 5802, RFC 7677): the hash functions, the key derivation, the
 * stored credentials and their helper {@link scramCredentials}, user-name escaping and the message syntax.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import { saslPrep } from './text.js';

/**
 * The hash functions of the SCRAM mechanisms proton-ts implements. proton-ts only: Proton leaves SCRAM to
 * Cyrus SASL.
 */
export type ScramHash = 'SHA-1' | 'SHA-256' | 'SHA-512';

/** The SCRAM mechanism names, mapped to their hash function. */
export const SCRAM_MECHANISMS = {
  'SCRAM-SHA-512': 'SHA-512',
  'SCRAM-SHA-256': 'SHA-256',
  'SCRAM-SHA-1': 'SHA-1',
} as const satisfies Record<ScramMechanismName, ScramHash>;

// Spelled out rather than `keyof typeof SCRAM_MECHANISMS`, so the API reference shows the names without
// making the table public; the `satisfies` above keeps the two in step.
/**
 * The name of a SCRAM mechanism, as sent in AMQP `sasl-mechanisms.sasl-server-mechanisms` and
 * `sasl-init.mechanism`; in Proton, a name for `SASL.allowed_mechs`.
 */
export type ScramMechanismName = 'SCRAM-SHA-512' | 'SCRAM-SHA-256' | 'SCRAM-SHA-1';

/** The iteration count {@link scramCredentials} uses by default, as Cyrus SASL; RFC 7677 asks for at least 4096. */
export const SCRAM_DEFAULT_ITERATIONS = 4096;

/**
 * What a SCRAM server stores for a user instead of the password (RFC 5802 section 3): the password cannot be
 * recovered from it, and it is not enough to log in as the user elsewhere. proton-ts only: a Proton server
 * keeps these in Cyrus SASL's user database (`sasldb`).
 */
export interface ScramCredentials {
  /** The salt of the key derivation (RFC 5802 `s`). proton-ts only (no Proton counterpart). */
  readonly salt: Uint8Array;
  /** The iteration count of the key derivation (RFC 5802 `i`). proton-ts only (no Proton counterpart). */
  readonly iterations: number;
  /** H(ClientKey) (RFC 5802 StoredKey). proton-ts only (no Proton counterpart). */
  readonly storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key") (RFC 5802 ServerKey). proton-ts only (no Proton counterpart). */
  readonly serverKey: Uint8Array;
}

/** Options of {@link scramCredentials}. proton-ts only (no Proton counterpart). */
export interface ScramCredentialsOptions {
  /**
   * The salt. proton-ts only (no Proton counterpart).
   * @default 16 random bytes
   */
  salt?: Uint8Array;
  /**
   * The iteration count; higher costs an attacker holding the stored credentials more, and every login more.
   * proton-ts only (no Proton counterpart).
   * @default 4096
   */
  iterations?: number;
}

const DIGESTS = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' } as const;
const LENGTHS = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-512': 64 } as const;

/** The output length of the hash, in bytes. */
export function hashLength(hash: ScramHash): number {
  return LENGTHS[hash];
}

/** HMAC(key, data). */
export function hmac(hash: ScramHash, key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac(DIGESTS[hash], key).update(data).digest();
}

/** H(data). */
export function digest(hash: ScramHash, data: Uint8Array): Buffer {
  return createHash(DIGESTS[hash]).update(data).digest();
}

/** SaltedPassword = Hi(Normalize(password), salt, i): PBKDF2 with the HMAC of the hash. */
export function saltedPassword(
  hash: ScramHash,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Buffer {
  return pbkdf2Sync(saslPrep(password), salt, iterations, LENGTHS[hash], DIGESTS[hash]);
}

/** The bitwise exclusive or of two buffers of the same length. */
export function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** A comparison whose time does not depend on where the contents differ (the lengths are not secret). */
export function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The credentials a SCRAM server stores for a password. The password is prepared as the client prepares
 * it (SASLprep, RFC 4013). proton-ts only: a Proton server's SCRAM users are made with Cyrus SASL's
 * `saslpasswd2` tool instead.
 * @throws InvalidOptionError for an unknown hash, an empty salt or an iteration count that is not a
 * positive integer.
 */
export function scramCredentials(
  password: string,
  hash: ScramHash,
  options: ScramCredentialsOptions = {},
): ScramCredentials {
  if (!Object.hasOwn(DIGESTS, hash)) {
    throw new InvalidOptionError('hash', `unknown SCRAM hash '${String(hash)}' (SHA-1, SHA-256 or SHA-512)`);
  }
  const salt = options.salt ?? randomBytes(16);
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  if (salt.length === 0) throw new InvalidOptionError('salt', 'the salt is empty');
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new InvalidOptionError('iterations', `${iterations} is not a positive integer`);
  }
  const salted = saltedPassword(hash, password, salt, iterations);
  return {
    salt: Uint8Array.from(salt),
    iterations,
    storedKey: digest(hash, hmac(hash, salted, 'Client Key')),
    serverKey: hmac(hash, salted, 'Server Key'),
  };
}

/** A user name (or authzid) as a saslname: `=` as `=3D`, `,` as `=2C`. */
export function escapeName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** The name a saslname stands for, or undefined when it holds an `=` not followed by `2C` or `3D`. */
export function unescapeName(saslname: string): string | undefined {
  if (/=(?!2C|3D)/.test(saslname)) return undefined;
  return saslname.replace(/=2C|=3D/g, (m) => (m === '=2C' ? ',' : '='));
}

/** A valid nonce: one or more printable ASCII characters other than `,`. */
export function isNonce(s: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(s);
}

/** A random nonce: 24 base64 characters (no `,`). */
export function randomNonce(): string {
  return randomBytes(18).toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (RFC 4648, padded, canonical: unused bits zero) to bytes, or undefined. */
export function fromBase64(s: string): Buffer | undefined {
  if (!BASE64.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : undefined;
}

/** Bytes to base64. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The value of `part` when it is the attribute `name=value`, else undefined. */
export function attribute(part: string | undefined, name: string): string | undefined {
  return part !== undefined && part.length >= 2 && part[0] === name && part[1] === '='
    ? part.slice(2)
    : undefined;
}
