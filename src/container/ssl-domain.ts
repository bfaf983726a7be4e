/**
 * TLS settings (Proton's `SSLDomain`), mapped onto `node:tls` options, and what a connection negotiated
 * (its cipher, protocol and peer certificate subject).
 *
 * Proton's defaults are kept, and so are Node's: a client verifies the server's certificate and its name
 * (`VERIFY_PEER_NAME`) against the CAs Node trusts by default (its Mozilla bundle, plus
 * `NODE_EXTRA_CA_CERTS`), or only against the CAs given to `setTrustedCaDb`; a server does not ask for
 * client certificates (`ANONYMOUS_PEER`). Verification is only ever turned off by asking for
 * `ANONYMOUS_PEER` on a client. Files are read, and keys decrypted, when a setter is called, so a missing
 * file or a wrong password is an `SSLException` there and then; each setter affects only the
 * connections made (or accepted) afterwards. A failed verification is the transport's condition:
 * `amqp:connection:framing-error`, `SSL Failure: <Node's reason> (<code>)`.
 *
 * `tlsInfo(connection)` tells what a connection negotiated: the connector and the acceptor record it on
 * the transport (in a WeakMap here, the engine untouched) once the handshake is done.
 */

import type { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import type { Transport } from '../engine/transport.js';
import { ProtonError } from '../errors.js';
import type { TlsDomain } from './options.js';

/** A TLS setting that cannot be used, or a TLS failure (Proton's `SSLException`). */
export class SSLException extends ProtonError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SSLException';
  }
}

/**
 * A domain's mode: the client or the server side of the handshake. Proton: `SSLDomain.MODE_CLIENT` (1)
 * and `SSLDomain.MODE_SERVER` (2).
 */
export type SSLMode = 1 | 2;
/**
 * How the peer is verified: `VERIFY_PEER` 1, `ANONYMOUS_PEER` 2, `VERIFY_PEER_NAME` 3, Proton's
 * `SSLDomain` constants of the same names and values.
 */
export type SSLVerifyMode = 1 | 2 | 3;

/**
 * TLS settings for connections or listeners: the mode (client or server), this side's certificate and
 * key, the trusted CAs and how the peer is verified. Hand it to `connect` or `listen` as `sslDomain`.
 * Proton: `SSLDomain`.
 */
export class SSLDomain implements TlsDomain {
  /** The client side: makes TLS connections. Proton: `SSLDomain.MODE_CLIENT`. */
  static readonly MODE_CLIENT = 1 as const;
  /** The server side: accepts TLS connections. Proton: `SSLDomain.MODE_SERVER`. */
  static readonly MODE_SERVER = 2 as const;
  /** The peer must present a certificate signed by a trusted CA. Proton: `SSLDomain.VERIFY_PEER`. */
  static readonly VERIFY_PEER = 1 as const;
  /**
   * No certificate is asked of the peer, nor checked (a server's default). Proton:
   * `SSLDomain.ANONYMOUS_PEER`.
   */
  static readonly ANONYMOUS_PEER = 2 as const;
  /**
   * As `VERIFY_PEER`, and the certificate must name the host connected to (a client's default). Proton:
   * `SSLDomain.VERIFY_PEER_NAME`.
   */
  static readonly VERIFY_PEER_NAME = 3 as const;

  /**
   * `MODE_CLIENT` or `MODE_SERVER`: which end of the TLS handshake this domain configures. Proton: the
   * `SSLDomain(mode)` argument, not readable back there.
   * @default MODE_CLIENT
   */
  readonly mode: SSLMode;
  private verify: SSLVerifyMode;
  private key: Buffer | undefined = undefined;
  private cert: Buffer | undefined = undefined;
  private passphrase: string | undefined = undefined;
  private trustedCas: Buffer[] | undefined = undefined;
  private advertisedCas: Buffer[] | undefined = undefined;
  private unsecured = false;
  private serverOptions: tls.TlsOptions | undefined = undefined;

  /** @throws SSLException for a mode that is neither `MODE_CLIENT` nor `MODE_SERVER`. */
  constructor(mode: SSLMode = SSLDomain.MODE_CLIENT) {
    if (mode !== SSLDomain.MODE_CLIENT && mode !== SSLDomain.MODE_SERVER) {
      throw new SSLException(
        `SSL failure: unknown SSLDomain mode ${String(mode)} (MODE_CLIENT 1 or MODE_SERVER 2)`,
      );
    }
    this.mode = mode;
    this.verify = mode === SSLDomain.MODE_CLIENT ? SSLDomain.VERIFY_PEER_NAME : SSLDomain.ANONYMOUS_PEER;
  }

  /**
   * The verify mode in force, as set by `setPeerAuthentication` (Proton sets it with
   * `SSLDomain.set_peer_authentication` and cannot read it back).
   * @default VERIFY_PEER_NAME for a client, ANONYMOUS_PEER for a server
   */
  get verifyMode(): SSLVerifyMode {
    return this.verify;
  }

  /** A server port that takes plain AMQP as well as TLS (`allowUnsecuredClient`). */
  get allowUnsecured(): boolean {
    return this.unsecured;
  }

  /**
   * This side presents a certificate (so a client can authenticate with SASL EXTERNAL). proton-ts only:
   * true once `setCredentials` (Proton: `set_credentials`) succeeded.
   */
  get hasCredentials(): boolean {
    return this.cert !== undefined;
  }

  /**
   * This side's certificate (chain) and private key, PEM files (one file may hold both); `password`
   * decrypts an encrypted key. Required of a server.
   * Proton: `SSLDomain.set_credentials`.
   * @throws SSLException when a file cannot be read, the password is wrong or the key does not match.
   */
  setCredentials(certFile: string, keyFile: string, password?: string): number {
    const cert = readPem(certFile, 'certificate');
    const key = readPem(keyFile, 'private key');
    try {
      // Decrypts the key and matches it with the certificate now rather than at the first connection.
      tls.createSecureContext({ cert, key, passphrase: password });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new SSLException(`SSL failure: cannot use the credentials ${certFile} and ${keyFile}: ${why}`, {
        cause: e,
      });
    }
    this.cert = cert;
    this.key = key;
    this.passphrase = password;
    this.changed();
    return 0;
  }

  /**
   * Trusts only the CA certificates in `certificateDb` (a PEM file, or a directory of them) to verify
   * the peer, instead of the CAs Node trusts by default.
   * Proton: `SSLDomain.set_trusted_ca_db`.
   * @throws SSLException when nothing there holds a certificate.
   */
  setTrustedCaDb(certificateDb: string): number {
    this.trustedCas = readCas(certificateDb);
    this.changed();
    return 0;
  }

  /**
   * How the peer is verified. For a server asking for client certificates, `trustedCas` (a PEM file or
   * directory) are the CAs it trusts and names to clients when no `setTrustedCaDb` was given (Node uses
   * one list for both).
   * Proton: `SSLDomain.set_peer_authentication`.
   * @throws SSLException for an unknown mode, or a verifying server with no CA to verify with.
   */
  setPeerAuthentication(verifyMode: SSLVerifyMode, trustedCas?: string): number {
    if (
      verifyMode !== SSLDomain.VERIFY_PEER &&
      verifyMode !== SSLDomain.VERIFY_PEER_NAME &&
      verifyMode !== SSLDomain.ANONYMOUS_PEER
    ) {
      throw new SSLException(
        `SSL failure: unknown verify mode ${String(verifyMode)} (VERIFY_PEER 1, ANONYMOUS_PEER 2, VERIFY_PEER_NAME 3)`,
      );
    }
    const advertised = trustedCas === undefined ? undefined : readCas(trustedCas);
    if (
      this.mode === SSLDomain.MODE_SERVER &&
      verifyMode !== SSLDomain.ANONYMOUS_PEER &&
      advertised === undefined &&
      this.trustedCas === undefined
    ) {
      throw new SSLException(
        'SSL failure: a server that verifies its peers needs the CAs it trusts (trustedCas, or setTrustedCaDb first)',
      );
    }
    this.verify = verifyMode;
    if (advertised !== undefined) this.advertisedCas = advertised;
    this.changed();
    return 0;
  }

  /**
   * A server's port takes plain AMQP clients as well as TLS ones (the first byte tells which). Proton:
   * `SSLDomain.allow_unsecured_client`.
   */
  allowUnsecuredClient(): number {
    if (this.mode !== SSLDomain.MODE_SERVER) {
      throw new SSLException('SSL failure: allowUnsecuredClient is for a server domain (MODE_SERVER)');
    }
    this.unsecured = true;
    return 0;
  }

  /**
   * The `tls.connect` options of a client connection to `servername`: the name sent as SNI (unless an
   * IP address, which SNI cannot carry) and, with `VERIFY_PEER_NAME`, the name the certificate must bear.
   * Proton has no such call: it is how the domain becomes Node `tls` options.
   * @throws SSLException on a server domain.
   */
  clientTlsOptions(servername: string): tls.ConnectionOptions {
    if (this.mode !== SSLDomain.MODE_CLIENT) {
      throw new SSLException('SSL failure: a server domain (MODE_SERVER) cannot make client connections');
    }
    const o: tls.ConnectionOptions = { rejectUnauthorized: this.verify !== SSLDomain.ANONYMOUS_PEER };
    if (servername !== '' && net.isIP(servername) === 0) o.servername = servername;
    if (this.verify === SSLDomain.VERIFY_PEER_NAME) {
      // The name checked is the one asked for, whatever address it resolved to.
      o.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(servername, cert);
    } else if (this.verify === SSLDomain.VERIFY_PEER) {
      o.checkServerIdentity = () => undefined;
    }
    if (this.trustedCas !== undefined) o.ca = this.trustedCas;
    if (this.cert !== undefined) {
      o.cert = this.cert;
      o.key = this.key;
      if (this.passphrase !== undefined) o.passphrase = this.passphrase;
    }
    return o;
  }

  /**
   * The options of a TLS server (the same object until a setter changes them).
   * Proton has no such call: it is how the domain becomes Node `tls` options.
   * @throws SSLException on a client domain, or without credentials.
   */
  serverTlsOptions(): tls.TlsOptions {
    if (this.mode !== SSLDomain.MODE_SERVER) {
      throw new SSLException('SSL failure: a client domain (MODE_CLIENT) cannot accept connections');
    }
    if (this.cert === undefined) {
      throw new SSLException('SSL failure: a server domain needs its certificate and key (setCredentials)');
    }
    if (this.serverOptions === undefined) {
      const verifying = this.verify !== SSLDomain.ANONYMOUS_PEER;
      const o: tls.TlsOptions = {
        cert: this.cert,
        key: this.key,
        requestCert: verifying,
        rejectUnauthorized: verifying,
      };
      if (this.passphrase !== undefined) o.passphrase = this.passphrase;
      const ca = this.trustedCas ?? this.advertisedCas;
      if (ca !== undefined) o.ca = ca;
      this.serverOptions = Object.freeze(o);
    }
    return this.serverOptions;
  }

  private changed(): void {
    this.serverOptions = undefined;
  }
}

// --------------------------------------------------------------------------------------------------
// What a connection negotiated

/** What a TLS connection negotiated (Proton's `SSL`: `cipher_name`, `protocol_name`, `remote_subject`). */
export interface TlsInfo {
  /**
   * The cipher, as OpenSSL names it (`TLS_AES_256_GCM_SHA384`, `ECDHE-ECDSA-AES128-GCM-SHA256`). Proton:
   * `SSL.cipher_name()`.
   */
  readonly cipher: string | undefined;
  /** The protocol version (`TLSv1.3`). Proton: `SSL.protocol_name()`. */
  readonly protocol: string | undefined;
  /**
   * The subject of the peer's certificate in RFC 2253 form (`CN=test-client,O=example`), if it sent one.
   * Proton: `SSL.remote_subject`.
   */
  readonly peerSubject: string | undefined;
  /**
   * The peer's certificate (its fingerprints, names, dates), if it sent one. Proton has the parts, not the
   * certificate: `SSL.get_cert_fingerprint()`, `SSL.get_cert_common_name()`...
   */
  readonly peerCertificate: X509Certificate | undefined;
  /**
   * The peer's certificate was verified (always, when this side verifies). proton-ts only: Proton Python
   * does not report it (a failed verification ends the connection there, as here).
   */
  readonly peerVerified: boolean;
}

const infos = new WeakMap<Transport, TlsInfo>();

/**
 * What the TLS connection under a transport negotiated: pass the transport, or anything that has one (a
 * connection, an event); undefined when the connection is not TLS or its handshake is not done. Proton:
 * `Transport.ssl()`, the transport's `SSL` object.
 */
export function tlsInfo(
  of: Transport | { readonly transport?: Transport | undefined } | undefined,
): TlsInfo | undefined {
  if (of === undefined) return undefined;
  const t = infos.get(of as Transport);
  if (t !== undefined) return t;
  const inner = (of as { readonly transport?: Transport | undefined }).transport;
  return inner === undefined ? undefined : infos.get(inner);
}

/** @internal Records on `transport` what the handshake of `socket` negotiated (once it is done). */
export function recordTlsInfo(transport: Transport, socket: tls.TLSSocket): TlsInfo {
  const cipher = socket.getCipher() as tls.CipherNameAndProtocol | null;
  const peer = socket.getPeerX509Certificate();
  const info: TlsInfo = Object.freeze({
    cipher: cipher?.name,
    protocol: socket.getProtocol() ?? undefined,
    peerSubject: peer === undefined ? undefined : rfc2253(peer.subject),
    peerCertificate: peer,
    peerVerified: socket.authorized,
  });
  infos.set(transport, info);
  return info;
}

/** @internal The subject of a socket's peer certificate, in RFC 2253 form, if it sent one. */
export function peerSubject(socket: tls.TLSSocket): string | undefined {
  const peer = socket.getPeerX509Certificate();
  return peer === undefined ? undefined : rfc2253(peer.subject);
}

/**
 * Node prints a subject one attribute a line, values escaped as RFC 2253 asks, in the certificate's
 * order; RFC 2253 (and Proton's `remote_subject`) puts the most specific first, separated by commas.
 */
function rfc2253(subject: string): string {
  return subject
    .split('\n')
    .filter((l) => l !== '')
    .reverse()
    .join(',');
}

/** @internal Whether a socket error comes from TLS (a handshake, a verification, an alert). */
export function isTlsError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_)/.test(code)) return true;
  return typeof code === 'string' && VERIFY_CODES.has(code);
}

/** @internal The description of a TLS failure, as a transport condition gives it. */
export function describeTlsError(e: Error): string {
  const code = (e as { code?: unknown }).code;
  // OpenSSL's own messages carry its source location after the reason: keep the reason.
  const reason = (e as { reason?: unknown }).reason;
  const text = typeof reason === 'string' && e.message.includes(':error:') ? reason : e.message.trim();
  return `SSL Failure: ${text}${typeof code === 'string' ? ` (${code})` : ''}`;
}

/** The certificate verification results Node reports as error codes (OpenSSL's X509_V_ERR_ names). */
const VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'OUT_OF_MEM',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

// --------------------------------------------------------------------------------------------------
// Files

function readPem(file: string, what: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new SSLException(`SSL failure: cannot read the ${what} file ${file}: ${why}`, { cause: e });
  }
  if (!data.includes('-----BEGIN ')) {
    throw new SSLException(`SSL failure: the ${what} file ${file} is not PEM`);
  }
  return data;
}

/** The CA certificates of a PEM file, or of the PEM files in a directory (others are skipped). */
function readCas(path: string): Buffer[] {
  let cas: Buffer[];
  try {
    if (!statSync(path).isDirectory()) {
      cas = [readPem(path, 'CA certificate')];
    } else {
      cas = readdirSync(path)
        .sort()
        .map((name) => join(path, name))
        .filter((p) => statSync(p).isFile())
        .map((p) => readFileSync(p));
    }
  } catch (e) {
    if (e instanceof SSLException) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new SSLException(`SSL failure: cannot read the CA certificates at ${path}: ${why}`, { cause: e });
  }
  cas = cas.filter((b) => b.includes('-----BEGIN CERTIFICATE-----'));
  if (cas.length === 0) throw new SSLException(`SSL failure: no CA certificate found at ${path}`);
  return cas;
}
