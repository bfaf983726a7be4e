/**
 * Writes one section of docs/reliability.md between its markers (`<!-- NAME:begin -->` and
 * `<!-- NAME:end -->`), leaving the rest of the file (the other suites' sections) as it is; creates the
 * file with only a title line when it is absent. Called by the fault, soak and security suites, and
 * only when WRITE_RELIABILITY=1, so that an ordinary test run never rewrites the docs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RELIABILITY_DOC = fileURLToPath(new URL('../../../docs/reliability.md', import.meta.url));

const TITLES: Record<string, string> = {
  faults: 'Fault injection',
  security: 'Security checks',
  'faults-proton': "Fault injection against Proton's example broker",
};

/** Replaces the section `name` with a heading, the date, and one bullet per line of `lines`. */
export function writeReliabilitySection(
  name: string,
  lines: readonly string[],
  file = RELIABILITY_DOC,
): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const when = new Date().toISOString().slice(0, 16);
  const section = [
    begin,
    `## ${TITLES[name] ?? name}`,
    '',
    `Written by the test run (WRITE_RELIABILITY=1) on ${when}Z, Node ${process.version}.`,
    '',
    ...lines.map((l) => `- ${l}`),
    end,
  ].join('\n');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability\n';
  const b = text.indexOf(begin);
  const e = text.indexOf(end);
  const next =
    b >= 0 && e > b
      ? `${text.slice(0, b)}${section}${text.slice(e + end.length)}`
      : `${text.replace(/\n*$/, '\n\n')}${section}\n`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, next);
}
