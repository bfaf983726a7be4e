/**
 * Asks Apache Qpid Proton 0.37 (Debian's python3-qpid-proton, its built-in SASL without Cyrus) which
 * mechanism its client picks from a server's list, and what it puts in sasl-init: a bare in-memory
 * `Transport` is given the SASL header and a sasl-mechanisms frame, and its sasl-init is decoded.
 */
import { spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, struct, sys
from proton import Array, Connection, Data, Described, Transport, UNDESCRIBED, symbol, ulong

def mechanisms_frame(mechs):
    d = Data()
    d.put_object(Described(ulong(0x40), [Array(UNDESCRIBED, Data.SYMBOL, *[symbol(m) for m in mechs])]))
    body = d.encode()
    return struct.pack('>IBBH', 8 + len(body), 2, 1, 0) + body

def frames(b):
    out = []
    while len(b) >= 8:
        if b[:4] == b'AMQP':
            b = b[8:]
            continue
        size = struct.unpack('>I', b[:4])[0]
        d = Data()
        d.decode(b[b[4] * 4:size])
        d.rewind()
        d.next()
        out.append(d.get_object())
        b = b[size:]
    return out

results = []
for c in json.load(sys.stdin.buffer):
    t = Transport()
    conn = Connection()
    if c.get('hostname'): conn.hostname = c['hostname']
    if c.get('user') is not None: conn.user = c['user']
    if c.get('password') is not None: conn.password = c['password']
    if c.get('authzid') is not None: conn.authorization = c['authzid']
    sasl = t.sasl()
    if c.get('allowed') is not None: sasl.allowed_mechs(c['allowed'])
    if c.get('insecure') is not None: sasl.allow_insecure_mechs = c['insecure']
    t.bind(conn)
    conn.open()
    t.pop(len(t.peek(1024) or b''))
    t.push(b'AMQP\x03\x01\x00\x00' + mechanisms_frame(c['mechs']))
    out = t.peek(4096) or b''
    inits = [f for f in frames(out) if f.descriptor == 0x41]
    if inits:
        fields = list(inits[0].value) + [None, None, None]
        resp = fields[1]
        results.append({'mechanism': str(fields[0]), 'response': None if resp is None else bytes(resp).hex(),
                        'hostname': fields[2]})
    else:
        results.append({'error': str(t.condition)})
json.dump(results, sys.stdout)
`;

export interface ProtonClientCase {
  mechs: string[];
  user?: string;
  password?: string;
  authzid?: string;
  allowed?: string;
  insecure?: boolean;
  hostname?: string;
}

export type ProtonClientResult =
  | { mechanism: string; response: string | null; hostname: string | null }
  | { error: string };

/** True when Proton's Python binding loads. */
export function protonAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import proton'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** Proton's client choice for each case. */
export function protonClientChoices(cases: readonly ProtonClientCase[]): ProtonClientResult[] {
  const r = spawnSync(PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python failed (status ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ProtonClientResult[];
}
