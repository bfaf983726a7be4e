/**
 * `npm run soak`: the soak (test/soak/soak.ts) for SOAK_SECONDS (600 by default; CI sets 60), printing
 * a line per sample, then the figures, which it writes to bench/RESULTS.md between the soak markers
 * (unless SOAK_REPORT=0). Exits 1 when a handle was left behind or the heap kept growing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { judge, reportLines } from './judge.js';
import { showHandles, soak } from './soak.js';

const seconds = Number(process.env.SOAK_SECONDS ?? (process.env.CI === 'true' ? 60 : 600));
const RESULTS = fileURLToPath(new URL('../../../bench/RESULTS.md', import.meta.url));
const BEGIN = '<!-- soak:begin -->';
const END = '<!-- soak:end -->';

const f = await soak(seconds, {
  sampleMs: seconds >= 300 ? 5000 : 1000,
  onSample: (s) =>
    process.stdout.write(
      `${s.t.toFixed(0)} s: heap ${s.heapMiB.toFixed(1)} MiB; ${showHandles(s.handles)}\n`,
    ),
});
const verdict = judge(f);
const lines = reportLines(f, verdict);
process.stdout.write(`${lines.join('\n')}\n`);
if (process.env.SOAK_REPORT !== '0') {
  const section = [BEGIN, '## Soak', '', ...lines, END].join('\n');
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Results\n';
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  writeFileSync(
    RESULTS,
    b >= 0 && e > b
      ? `${text.slice(0, b)}${section}${text.slice(e + END.length)}`
      : `${text.replace(/\n*$/, '\n\n')}${section}\n`,
  );
}
process.exitCode = verdict.problems.length === 0 ? 0 : 1;
