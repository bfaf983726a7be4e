/**
 * An independent SCRAM: the same computation written in Python with hashlib and hmac, run with
 * /usr/bin/python3, so the SCRAM tests are not only self-consistent.
 */
import { spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import base64, hashlib, hmac, json, sys, unicodedata

def name(s):
    return unicodedata.normalize('NFKC', s).replace('=', '=3D').replace(',', '=2C')

out = []
for c in json.load(sys.stdin.buffer):
    h = {'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512'}[c['hash']]
    salt = base64.b64decode(c['salt'])
    password = unicodedata.normalize('NFKC', c['password']).encode('utf-8')
    salted = hashlib.pbkdf2_hmac(h, password, salt, c['iterations'])
    client_key = hmac.new(salted, b'Client Key', h).digest()
    stored_key = hashlib.new(h, client_key).digest()
    server_key = hmac.new(salted, b'Server Key', h).digest()
    gs2 = 'n,' + ('a=' + name(c['authzid']) if c.get('authzid') else '') + ','
    bare = 'n=' + name(c['user']) + ',r=' + c['cnonce']
    nonce = c['cnonce'] + c['snonce']
    server_first = 'r=' + nonce + ',s=' + c['salt'] + ',i=' + str(c['iterations'])
    without_proof = 'c=' + base64.b64encode(gs2.encode('utf-8')).decode() + ',r=' + nonce
    auth = (bare + ',' + server_first + ',' + without_proof).encode('utf-8')
    signature = hmac.new(stored_key, auth, h).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    out.append({
        'clientFirst': gs2 + bare,
        'serverFirst': server_first,
        'clientFinal': without_proof + ',p=' + base64.b64encode(proof).decode(),
        'serverFinal': 'v=' + base64.b64encode(hmac.new(server_key, auth, h).digest()).decode(),
        'storedKey': stored_key.hex(),
        'serverKey': server_key.hex(),
    })
json.dump(out, sys.stdout)
`;

export interface ScramCase {
  hash: 'SHA-1' | 'SHA-256' | 'SHA-512';
  user: string;
  password: string;
  authzid?: string;
  /** base64 */
  salt: string;
  iterations: number;
  cnonce: string;
  snonce: string;
}

export interface ScramExpected {
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
  storedKey: string;
  serverKey: string;
}

/** True when /usr/bin/python3 runs. */
export function pythonAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import hashlib, hmac'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

/** The messages and keys Python computes for each case. */
export function pythonScram(cases: readonly ScramCase[]): ScramExpected[] {
  const r = spawnSync(PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ScramExpected[];
}
