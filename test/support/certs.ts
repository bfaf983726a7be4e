/**
 * Test certificates, made at test time with the `openssl` command into a temporary directory (removed by
 * `remove()`, or at exit): nothing here is committed, and every certificate expires two days after it
 * is made.
 *
 * - `ca`: the test CA; `otherCa`: a second CA that signs nothing of ours (to pin the wrong one);
 * - `server`: CN=localhost, subjectAltName localhost and 127.0.0.1, signed by the CA;
 * - `wrongHost`: CN=wrong.example, subjectAltName wrong.example only, signed by the CA;
 * - `client`: CN=test-client,O=proton-ts, for client authentication, signed by the CA;
 * - `selfSigned`: a self-signed CN=localhost certificate (localhost, 127.0.0.1) no one trusts;
 * - `encrypted`: the server's key again, encrypted with AES-256 under `password`.
 *
 * Keys are P-256 (quick to make). `openssl` must be on the PATH: `opensslAvailable()` tells.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its (unencrypted) private key, as PEM file paths. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export interface TestCerts {
  /** The temporary directory holding every file. */
  readonly dir: string;
  readonly ca: CertFiles;
  readonly otherCa: CertFiles;
  readonly server: CertFiles;
  readonly wrongHost: CertFiles;
  readonly client: CertFiles;
  readonly selfSigned: CertFiles;
  /** The server certificate with its key encrypted under `password`. */
  readonly encrypted: CertFiles & { readonly password: string };
  /** Deletes the directory and everything in it. */
  remove(): void;
}

/** Whether an `openssl` command can be run. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const DAYS = '2';
const CURVE = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes the test certificates in a new temporary directory. */
export async function makeTestCerts(): Promise<TestCerts> {
  const dir = mkdtempSync(join(tmpdir(), 'proton-ts-certs-'));
  const path = (name: string) => join(dir, name);
  const openssl = async (...args: string[]) => {
    await run('openssl', args, { cwd: dir });
  };
  let serial = 1000 + Math.floor(Math.random() * 1000);

  const makeCa = async (name: string, cn: string): Promise<CertFiles> => {
    const files = { cert: path(`${name}.pem`), key: path(`${name}.key`) };
    await openssl(
      'req',
      '-x509',
      ...CURVE,
      '-keyout',
      files.key,
      '-out',
      files.cert,
      '-days',
      DAYS,
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    return files;
  };

  /** A leaf certificate signed by `ca`, with the given subject and extensions. */
  const makeLeaf = async (
    name: string,
    ca: CertFiles,
    subject: string,
    extensions: string[],
  ): Promise<CertFiles> => {
    const files = { cert: path(`${name}.pem`), key: path(`${name}.key`) };
    const csr = path(`${name}.csr`);
    const ext = path(`${name}.ext`);
    writeFileSync(ext, `${['basicConstraints=CA:FALSE', ...extensions].join('\n')}\n`);
    await openssl('req', '-new', ...CURVE, '-keyout', files.key, '-out', csr, '-subj', subject);
    await openssl(
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      String(serial++),
      '-days',
      DAYS,
      '-extfile',
      ext,
      '-out',
      files.cert,
    );
    return files;
  };

  try {
    const [ca, otherCa] = await Promise.all([
      makeCa('ca', 'proton-ts test CA'),
      makeCa('other-ca', 'proton-ts other CA'),
    ]);
    const serverExt = ['extendedKeyUsage=serverAuth', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
    const selfSigned = { cert: path('self-signed.pem'), key: path('self-signed.key') };
    const [server, wrongHost, client] = await Promise.all([
      makeLeaf('server', ca, '/O=proton-ts/CN=localhost', serverExt),
      makeLeaf('wrong-host', ca, '/CN=wrong.example', [
        'extendedKeyUsage=serverAuth',
        'subjectAltName=DNS:wrong.example',
      ]),
      makeLeaf('client', ca, '/O=proton-ts/CN=test-client', ['extendedKeyUsage=clientAuth']),
      openssl(
        'req',
        '-x509',
        ...CURVE,
        '-keyout',
        selfSigned.key,
        '-out',
        selfSigned.cert,
        '-days',
        DAYS,
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ),
    ]);
    const password = 'test-key-password';
    const encryptedKey = path('server-encrypted.key');
    await openssl('pkey', '-in', server.key, '-aes256', '-passout', `pass:${password}`, '-out', encryptedKey);
    const remove = () => {
      process.off('exit', remove);
      rmSync(dir, { recursive: true, force: true });
    };
    // Removed at exit too, should a test fail before its own clean-up.
    process.once('exit', remove);
    return {
      dir,
      ca,
      otherCa,
      server: server,
      wrongHost: wrongHost,
      client: client,
      selfSigned,
      encrypted: { cert: server.cert, key: encryptedKey, password },
      remove,
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
