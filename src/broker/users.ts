/**
 * The broker's users: a text file read once at start, kept as SCRAM salted credentials only.
 *
 * The file holds one record a line, `USER:KIND:DATA`; blank lines and lines starting with `#` are
 * skipped. KIND is
 * - `SCRAM-SHA-1`, `SCRAM-SHA-256` or `SCRAM-SHA-512`, and DATA `ITERATIONS:SALT:STORED-KEY:SERVER-KEY`
 *   (the last three in base64): the salted record RFC 5802 has a server keep, as `proton-ts passwd USER`
 *   prints it. A user may have one record per hash; SCRAM with a hash the user has no record for fails.
 * - `PLAIN`, and DATA the password itself (the rest of the line, colons and all): for a quick set-up.
 *   It is salted for every SCRAM hash as it is read, and the text is dropped with the file's.
 *
 * A user name may not hold `:`. PLAIN logins are checked against a salted record (the password given is
 * salted the same way and the keys compared), so no password is kept once the file has been parsed.
 */
import { timingSafeEqual } from 'node:crypto';
import { InvalidOptionError, scramCredentials } from '../index.js';
import { ConfigFileError, readConfigFile } from './config-file.js';

/** The salted credentials of one user for one hash (what `scramCredentials` returns). */
export type StoredCredentials = ReturnType<typeof scramCredentials>;

/** The SCRAM hashes, by mechanism name. */
const HASHES = {
  'SCRAM-SHA-1': 'SHA-1',
  'SCRAM-SHA-256': 'SHA-256',
  'SCRAM-SHA-512': 'SHA-512',
} as const;

type Mechanism = keyof typeof HASHES;
type Hash = (typeof HASHES)[Mechanism];

/** The key lengths of each hash, in bytes, to catch a record cut short. */
const KEY_LENGTHS: Record<Hash, number> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-512': 64 };

/** A users file that cannot be read or parsed: the message names the file and the line. */
export class UsersFileError extends ConfigFileError {}

/** Options of {@link scramRecord}. */
export interface ScramRecordOptions {
  /** The PBKDF2 iteration count. @default 4096 */
  iterations?: number;
  /** The salt. @default 16 random bytes */
  salt?: Uint8Array;
}

/** The users file record (one line, no newline) of a user's password salted for one SCRAM hash. */
export function scramRecord(
  user: string,
  password: string,
  mechanism: Mechanism,
  options: ScramRecordOptions = {},
): string {
  checkUser(user);
  const c = scramCredentials(password, HASHES[mechanism], options);
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  return `${user}:${mechanism}:${c.iterations}:${b64(c.salt)}:${b64(c.storedKey)}:${b64(c.serverKey)}`;
}

/** The SCRAM mechanism names a record may have. */
export const RECORD_MECHANISMS = Object.keys(HASHES) as readonly Mechanism[];

function checkUser(user: string): void {
  if (user === '' || /[:\r\n]/.test(user)) {
    throw new InvalidOptionError('user', `'${user}' cannot be a user name (empty, or with ':' or a newline)`);
  }
}

/** The users a broker lets in, with their salted credentials. */
export class Users {
  /** user -> hash -> credentials. */
  private readonly records = new Map<string, Map<Hash, StoredCredentials>>();

  /**
   * Reads a users file.
   * @throws UsersFileError when it cannot be read, or a line is not a record.
   */
  static load(file: string): Users {
    return Users.parse(readConfigFile(file, UsersFileError), file);
  }

  /**
   * Parses the text of a users file; `file` names it in errors.
   * @throws UsersFileError naming the line that is not a record.
   */
  static parse(text: string, file = 'users file'): Users {
    const users = new Users();
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      users.add(line, file, i + 1);
    }
    return users;
  }

  private add(line: string, file: string, n: number): void {
    const fail = (why: string): never => {
      throw new UsersFileError(why, file, n);
    };
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first <= 0 || second < 0) fail('expected USER:KIND:DATA');
    const user = line.slice(0, first);
    const kind = line.slice(first + 1, second);
    const data = line.slice(second + 1);
    if (kind === 'PLAIN') {
      if (data === '') fail(`an empty password for '${user}'`);
      // Salted for each hash now; the password itself is not kept.
      for (const hash of Object.values(HASHES)) this.put(user, hash, scramCredentials(data, hash));
      return;
    }
    if (!Object.hasOwn(HASHES, kind)) {
      fail(`unknown kind '${kind}' (PLAIN, ${RECORD_MECHANISMS.join(', ')})`);
    }
    const hash = HASHES[kind as Mechanism];
    const parts = data.split(':');
    if (parts.length !== 4) fail(`a ${kind} record is ${kind}:ITERATIONS:SALT:STORED-KEY:SERVER-KEY`);
    const [iterationsText, saltText, storedText, serverText] = parts as [string, string, string, string];
    const iterations = Number(iterationsText);
    if (!/^\d+$/.test(iterationsText) || !Number.isSafeInteger(iterations) || iterations < 1) {
      fail(`the iteration count '${iterationsText}' is not a positive whole number`);
    }
    const salt = base64(saltText);
    const storedKey = base64(storedText);
    const serverKey = base64(serverText);
    if (salt === undefined || salt.length === 0) fail('the salt is not base64');
    const length = KEY_LENGTHS[hash];
    if (storedKey?.length !== length || serverKey?.length !== length) {
      fail(`the keys are not base64 of ${length} bytes (the ${hash} length)`);
    }
    if (this.records.get(user)?.has(hash)) fail(`a second ${kind} record for '${user}'`);
    this.put(user, hash, { salt: salt!, iterations, storedKey: storedKey!, serverKey: serverKey! });
  }

  private put(user: string, hash: Hash, c: StoredCredentials): void {
    let byHash = this.records.get(user);
    if (byHash === undefined) {
      byHash = new Map();
      this.records.set(user, byHash);
    }
    byHash.set(hash, c);
  }

  /** The number of users. */
  get size(): number {
    return this.records.size;
  }

  /** Whether the user has a record. */
  has(user: string): boolean {
    return this.records.has(user);
  }

  /** A user's stored credentials for a SCRAM mechanism: the server's lookup (`scramCredentials` option). */
  credentials(user: string, mechanism: string): StoredCredentials | undefined {
    if (!Object.hasOwn(HASHES, mechanism)) return undefined;
    return this.records.get(user)?.get(HASHES[mechanism as Mechanism]);
  }

  /**
   * Checks a PLAIN login: the password is salted as one of the user's records and the keys compared
   * (in constant time). An authzid other than the user is refused: no one acts for another here.
   */
  authenticate(user: string, password: string, authzid?: string): boolean {
    if (authzid !== undefined && authzid !== user) return false;
    const byHash = this.records.get(user);
    if (byHash === undefined) return false;
    // The cheapest hash the user has: each check costs one PBKDF2 run.
    const [hash, stored] = [...byHash].sort(([a], [b]) => KEY_LENGTHS[a] - KEY_LENGTHS[b])[0]!;
    const tried = scramCredentials(password, hash, { salt: stored.salt, iterations: stored.iterations });
    return timingSafeEqual(tried.storedKey, stored.storedKey);
  }
}

/** Strict base64 to bytes, or undefined. */
function base64(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return Buffer.from(s, 'base64');
}
