/**
 * The codec benchmark: proton-ts and rhea alternating in separate processes in one sitting, medians and
 * ratios as a markdown table (the section between RESULTS.md's codec markers).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, median, spreadPct } from './stats.js';

interface CodecResult {
  encoded_bytes: number;
  encode_ops_per_s: number;
  decode_ops_per_s: number;
}

function runOnce(dir: string, script: string, seconds: string): CodecResult {
  const out = execFileSync(process.execPath, [join(dir, script), '--seconds', seconds], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as CodecResult;
}

/** Runs both codec loops `runs` times each; returns the table and the two ratios (ours / rhea). */
export function codecSuite(
  dir: string,
  runs: number,
  seconds: string,
  machine: string,
): { table: string; encode: number; decode: number } {
  const ours: CodecResult[] = [];
  const rhea: CodecResult[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(runOnce(dir, 'codec.js', seconds));
    rhea.push(runOnce(dir, 'rhea-codec.js', seconds));
    process.stderr.write(`codec run ${i + 1}/${runs}\n`);
  }
  const row = (name: string, rs: CodecResult[]) => {
    const enc = rs.map((r) => r.encode_ops_per_s);
    const dec = rs.map((r) => r.decode_ops_per_s);
    return `| ${name} | ${rs[0]!.encoded_bytes} | ${fmt(median(enc))} (±${spreadPct(enc)}) | ${fmt(median(dec))} (±${spreadPct(dec)}) |`;
  };
  const ratio = (k: keyof CodecResult) => median(ours.map((r) => r[k])) / median(rhea.map((r) => r[k]));
  const encode = ratio('encode_ops_per_s');
  const decode = ratio('decode_ops_per_s');
  const table = [
    `Measured ${machine};`,
    `median of ${runs} runs of ${seconds} s each, the two libraries alternating (spread = (max − min) / median).`,
    '',
    '| library | bytes | encodes/s | decodes/s |',
    '| --- | ---: | ---: | ---: |',
    row('proton-ts', ours),
    row('rhea 3.0.5', rhea),
    '',
    `**proton-ts / rhea: encode ${encode.toFixed(2)}×, decode ${decode.toFixed(2)}×.**`,
  ].join('\n');
  return { table, encode, decode };
}
