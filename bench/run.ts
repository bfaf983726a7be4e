/**
 * `npm run bench`: the codec benchmark of proton-ts and of rhea, run alternately in separate processes
 * in one sitting (these machines are noisy: ratios measured together mean more than absolute figures),
 * then the medians and ratios printed and written into bench/RESULTS.md between its codec markers.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CodecResult {
  encoded_bytes: number;
  encode_ops_per_s: number;
  decode_ops_per_s: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const seconds = process.env.BENCH_SECONDS ?? '2';

function run(script: string): CodecResult {
  const out = execFileSync(process.execPath, [join(here, script), '--seconds', seconds], {
    encoding: 'utf8',
  });
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as CodecResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function spread(xs: number[]): string {
  return `${(((Math.max(...xs) - Math.min(...xs)) / median(xs)) * 100).toFixed(0)}%`;
}

const ours: CodecResult[] = [];
const rhea: CodecResult[] = [];
for (let i = 0; i < runs; i++) {
  ours.push(run('codec.js'));
  rhea.push(run('rhea-codec.js'));
  process.stderr.write(`run ${i + 1}/${runs}\n`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const row = (name: string, rs: CodecResult[]) => {
  const enc = rs.map((r) => r.encode_ops_per_s);
  const dec = rs.map((r) => r.decode_ops_per_s);
  return `| ${name} | ${rs[0]!.encoded_bytes} | ${fmt(median(enc))} (±${spread(enc)}) | ${fmt(median(dec))} (±${spread(dec)}) |`;
};
const ratio = (k: keyof CodecResult) =>
  (median(ours.map((r) => r[k])) / median(rhea.map((r) => r[k]))).toFixed(2);

const date = new Date().toISOString().slice(0, 10);
const table = [
  `Measured ${date} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version};`,
  `median of ${runs} runs of ${seconds} s each, the two libraries alternating (spread = (max − min) / median).`,
  '',
  '| library | bytes | encodes/s | decodes/s |',
  '| --- | ---: | ---: | ---: |',
  row('proton-ts', ours),
  row('rhea 3.0.5', rhea),
  '',
  `**proton-ts / rhea: encode ${ratio('encode_ops_per_s')}×, decode ${ratio('decode_ops_per_s')}×.**`,
].join('\n');
process.stdout.write(`${table}\n`);

const file = join(root, 'bench', 'RESULTS.md');
const begin = '<!-- codec:begin -->';
const end = '<!-- codec:end -->';
const text = readFileSync(file, 'utf8');
const a = text.indexOf(begin);
const b = text.indexOf(end);
if (a >= 0 && b > a) {
  writeFileSync(file, `${text.slice(0, a + begin.length)}\n${table}\n${text.slice(b)}`);
  process.stderr.write(`updated ${file}\n`);
}
