/**
 * `npm run fuzz`: every target (or those named in FUZZ_TARGETS, comma-separated) for FUZZ_SECONDS each
 * (default 60): the first FUZZ_GUIDED share of it (default 0.5) coverage-guided, unless FUZZ_COVERAGE=0,
 * the rest mutating the corpus that grew; with fast-check's seed FUZZ_SEED when given.
 * Prints the figures, writes them to docs/reliability.md (between the fuzz markers) unless FUZZ_REPORT=0,
 * saves each failing input as a .hex file under FUZZ_OUT (default the system's temporary folder), and
 * exits 1 when anything failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FuzzStats, fuzz } from './harness.js';
import { renderSection, writeSection } from './report.js';
import { TARGETS } from './targets.js';

function main(): number {
  const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
  const coverage = process.env.FUZZ_COVERAGE !== '0';
  const guidedShare = Number(process.env.FUZZ_GUIDED ?? 0.5);
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  const names = process.env.FUZZ_TARGETS?.split(',').map((s) => s.trim());
  const targets = names === undefined ? TARGETS : TARGETS.filter((t) => names.includes(t.name));
  if (targets.length === 0) {
    process.stderr.write(
      `no target named ${names?.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}\n`,
    );
    return 2;
  }
  const out = process.env.FUZZ_OUT ?? join(tmpdir(), 'proton-ts-fuzz');
  const all: FuzzStats[] = [];
  for (const target of targets) {
    process.stdout.write(`${target.name}: ${target.about} ... `);
    const s = fuzz(target, { seconds, coverage, seed, guidedShare });
    all.push(s);
    process.stdout.write(
      `${s.executions} executions in ${s.seconds.toFixed(1)} s, corpus ${s.seeds} + ${s.kept}, ` +
        `${s.coverage ? `${s.blocks} blocks (${s.guided} executions guided)` : 'no coverage'}, ` +
        `${s.failureCount} failures, ` +
        `slowest ${s.slowestMs.toFixed(0)} ms, heap ${(s.heapGrowth / 2 ** 20).toFixed(1)} MiB\n`,
    );
    s.failures.forEach((f, i) => {
      mkdirSync(out, { recursive: true });
      const file = join(out, `${target.name}-${i}.hex`);
      const head = [
        `# ${f.kind}: ${f.message.replace(/\n/g, ' ')}`,
        `# chunking [${f.chunking.join(', ')}], eof ${f.eof}`,
      ];
      writeFileSync(file, `${[...head, ...f.units.map((u) => u.toString('hex'))].join('\n')}\n`);
      process.stdout.write(`  ${f.kind}: ${f.message}\n  input: ${file}\n`);
    });
  }
  if (process.env.FUZZ_REPORT !== '0') writeSection(renderSection(all, new Date(), process.version));
  return all.some((s) => s.failureCount > 0) ? 1 : 0;
}

process.exitCode = main();
