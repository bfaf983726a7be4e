/**
 * The seeds: the captured traffic of test/fixtures/traffic/ (real exchanges, one header or frame a line)
 * and the hand-made seeds of test/fuzz/corpus/<target>/: `.hex` files in the same format (a regression
 * input is kept there under the name of what it found), `.txt` files of one selector a line.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseHex, TRAFFIC_DIR } from '../fixtures/traffic/record.js';

/** The seed folder of the source tree (from dist/test/fuzz or test/fuzz). */
export const CORPUS_DIR = fileURLToPath(new URL('../../../test/fuzz/corpus/', import.meta.url));

/** A recorded stream (`amqp.client` ...), as its units. */
export function traffic(name: string): Buffer[] {
  const file = `${TRAFFIC_DIR}${name}.hex`;
  if (!existsSync(file)) throw new Error(`${file} is missing: run test/fixtures/traffic/record.ts`);
  return parseHex(readFileSync(file, 'utf8'));
}

/** The `.hex` seeds of a target's folder, each a list of units. */
export function hexSeeds(target: string): Buffer[][] {
  const dir = `${CORPUS_DIR}${target}/`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) => parseHex(readFileSync(dir + f, 'utf8')));
}

/** The lines of a target's `.txt` seeds (blank lines and `#` comments dropped). */
export function textSeeds(target: string): string[] {
  const dir = `${CORPUS_DIR}${target}/`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .flatMap((f) => readFileSync(dir + f, 'utf8').split('\n'))
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

/** Cuts a stream into its protocol headers and frames (a frame's size word says where it ends). */
export function unitsOf(stream: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < stream.length) {
    const isHeader = stream.subarray(pos, pos + 4).toString('latin1') === 'AMQP';
    const size = isHeader ? 8 : stream.length - pos >= 4 ? Math.max(8, stream.readUInt32BE(pos)) : 8;
    out.push(stream.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}
