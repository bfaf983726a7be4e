/** UTF-8 for SASL messages: encoding, and strict decoding that fails with a {@link SASLError}. */
import { SASLError } from '../errors.js';
import { SaslCode, type SaslFailureCode } from './mechanism.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The string of UTF-8 bytes; throws {@link SASLError} (with `code`) when they are not valid UTF-8. */
export function fromUtf8(bytes: Uint8Array, what: string, code: SaslFailureCode = SaslCode.auth): string {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    throw new SASLError(`${what} is not valid UTF-8`, code, { cause: e });
  }
}

/** The string of UTF-8 bytes, or undefined when they are not valid UTF-8. */
export function tryUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * An approximation of SASLprep (RFC 4013) by Unicode NFKC normalisation: NFKC is the normalisation step of
 * SASLprep and maps the non-ASCII spaces to ASCII space, but it neither removes the characters RFC 3454
 * maps to nothing (soft hyphen, zero-width joiners...) nor rejects prohibited ones. For ASCII, as almost
 * every password is, it is the identity, as SASLprep is.
 */
export function saslPrep(text: string): string {
  return text.normalize('NFKC');
}
