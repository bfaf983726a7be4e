/**
 * Turns the harness's JSON lines into the markdown of bench/RESULTS.md: one table per suite (medians,
 * min–max, spread, CPU, peak RSS) and the goals of issue 7 as ratios measured in the same sitting.
 */
import { readFileSync } from 'node:fs';
import { fmt, median } from './stats.js';

/** A harness statistic: median, min, max and spread (%) over the good runs, and the runs' values. */
interface Stat {
  median: number | null;
  min?: number;
  max?: number;
  pct?: number | null;
  values?: (number | null)[];
}

/** One harness result line (the fields the report reads). */
export interface HarnessRow {
  suite: 'throughput' | 'rr' | 'codec' | 'raw';
  sender?: string;
  receiver?: string;
  server?: string;
  client?: string;
  impl?: string;
  label?: string;
  count?: number;
  size?: number;
  presettled?: boolean;
  /** CPU pinning of a harness run: 'none', 'split' or 'same' (both processes on CPU 0). */
  pin?: string;
  runs_ok: number;
  runs_total: number;
  rate?: Stat;
  mib_s?: Stat;
  recv_cpu_s?: Stat;
  send_cpu_s?: Stat;
  recv_rss_kb?: Stat;
  send_rss_kb?: Stat;
  median_us?: Stat;
  p99_us?: Stat;
  mean_us?: Stat;
  encode_ops_s?: Stat;
  decode_ops_s?: Stat;
  encoded_bytes?: number;
}

/** The fields of a result line that are outcomes of its runs, not part of what was run. */
const OUTCOMES = new Set(['runs_ok', 'runs_total', 'encoded_bytes', 'when']);

const isStat = (v: unknown): v is Stat =>
  typeof v === 'object' && v !== null && Array.isArray((v as Stat).values);

/** What was run: the line's plain fields (suite, peers, sizes, mode, pinning, label), outcomes aside. */
function configKey(row: HarnessRow): string {
  const fields = Object.entries(row).filter(
    ([k, v]) => !OUTCOMES.has(k) && (v === null || typeof v !== 'object'),
  );
  return JSON.stringify(fields.sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A statistic over `values` as the harness computes one: median, min, max, spread to a tenth of a percent. */
export function statOf(values: (number | null)[]): Stat {
  const xs = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (xs.length === 0) return { median: null, values };
  const mid = median(xs);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const pct = mid ? Math.round(((max - min) / mid) * 1000) / 10 : null;
  return { median: mid, min, max, pct, values };
}

/**
 * One line per configuration from the lines of its runs (a sitting run in rounds writes one line per run,
 * see runHarnessRounds): their values pooled and the statistics taken again, the run counts summed, the
 * records of the runs joined; the configurations in the order they first appear.
 */
export function mergeRuns(rows: readonly HarnessRow[]): HarnessRow[] {
  const merged = new Map<string, HarnessRow>();
  for (const row of rows) {
    const key = configKey(row);
    const into = merged.get(key);
    if (into === undefined) {
      merged.set(key, structuredClone(row));
      continue;
    }
    into.runs_ok += row.runs_ok;
    into.runs_total += row.runs_total;
    const target = into as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(row)) {
      const had = target[k];
      if (isStat(v))
        target[k] = { median: null, values: [...(isStat(had) ? had.values! : []), ...v.values!] };
      // The harness's record of each run (`runs`): all of them, in order.
      else if (Array.isArray(v)) target[k] = [...(Array.isArray(had) ? had : []), ...v];
    }
  }
  for (const row of merged.values()) {
    const r = row as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(r)) if (isStat(v)) r[k] = statOf(v.values!);
  }
  return [...merged.values()];
}

export function readRows(file: string): HarnessRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HarnessRow);
}

const range = (s: Stat | undefined, d = 0) =>
  s?.min === undefined ? '-' : `${fmt(s.min, d)}–${fmt(s.max, d)}`;
const pct = (s: Stat | undefined) => (s?.pct === null || s?.pct === undefined ? '-' : `${s.pct}%`);
const mb = (s: Stat | undefined) => (s?.median ? fmt(s.median / 1024, 0) : '-');
const runs = (r: HarnessRow) => `${r.runs_ok}/${r.runs_total}`;

export function throughputTable(rows: HarnessRow[]): string {
  const out = [
    '| sender → receiver | mode | N × size | msgs/s (median) | MiB/s | min–max | spread | recv CPU s | send CPU s | recv RSS MB | send RSS MB | runs |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows.filter((x) => x.suite === 'throughput')) {
    const mode = `${r.presettled ? 'at-most-once' : 'at-least-once'}${r.label ? ` (${r.label})` : ''}`;
    out.push(
      `| ${r.sender} → ${r.receiver} | ${mode} | ${fmt(r.count)} × ${fmt(r.size)} | ${fmt(r.rate?.median)} | ${fmt(r.mib_s?.median, 1)} | ${range(r.rate)} | ${pct(r.rate)} | ${fmt(r.recv_cpu_s?.median, 2)} | ${fmt(r.send_cpu_s?.median, 2)} | ${mb(r.recv_rss_kb)} | ${mb(r.send_rss_kb)} | ${runs(r)} |`,
    );
  }
  return out.join('\n');
}

export function latencyTable(rows: HarnessRow[]): string {
  const out = [
    '| server ← client | CPUs | N | median µs | min–max | spread | p99 µs (median) | mean µs | runs |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows.filter((x) => x.suite === 'rr')) {
    out.push(
      `| ${r.server} ← ${r.client} | ${pinLabel(r.pin)} | ${fmt(r.count)} | ${fmt(r.median_us?.median, 1)} | ${range(r.median_us, 1)} | ${pct(r.median_us)} | ${fmt(r.p99_us?.median, 1)} | ${fmt(r.mean_us?.median, 1)} | ${runs(r)} |`,
    );
  }
  return out.join('\n');
}

function pinLabel(pin: string | undefined): string {
  if (pin === 'same') return 'one (pinned)';
  if (pin === 'split') return 'one each';
  return 'any';
}

export function codecTable(rows: HarnessRow[]): string {
  const out = [
    '| codec | bytes | encodes/s (median) | spread | decodes/s (median) | spread | runs |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows.filter((x) => x.suite === 'codec')) {
    out.push(
      `| ${r.impl} | ${r.encoded_bytes ?? '-'} | ${fmt(r.encode_ops_s?.median)} | ${pct(r.encode_ops_s)} | ${fmt(r.decode_ops_s?.median)} | ${pct(r.decode_ops_s)} | ${runs(r)} |`,
    );
  }
  return out.join('\n');
}

/** Finds the throughput row of a pair. */
export function rate(
  rows: HarnessRow[],
  sender: string,
  receiver: string,
  size: number,
  presettled = false,
  label?: string,
): number | undefined {
  const r = rows.find(
    (x) =>
      x.suite === 'throughput' &&
      x.sender === sender &&
      x.receiver === receiver &&
      x.size === size &&
      !!x.presettled === presettled &&
      x.label === label,
  );
  return r?.rate?.median ?? undefined;
}

/** One goal: what was measured against what, the ratio and the bar. */
export interface Goal {
  what: string;
  ratio: number | undefined;
  bar: number;
  /** For "at most" goals (latency, memory): lower is better. */
  atMost?: boolean;
  unit?: string;
}

export function goalsTable(goals: Goal[]): string {
  const out = ['| goal | measured | target | met |', '| --- | ---: | ---: | :---: |'];
  for (const g of goals) {
    const unit = g.unit ?? '×';
    const measured = g.ratio === undefined || !Number.isFinite(g.ratio) ? '-' : `${fmt(g.ratio, 2)}${unit}`;
    const met =
      g.ratio === undefined || !Number.isFinite(g.ratio)
        ? 'not measured'
        : (g.atMost ? g.ratio <= g.bar : g.ratio >= g.bar)
          ? 'yes'
          : '**no**';
    out.push(`| ${g.what} | ${measured} | ${g.atMost ? '≤' : '≥'} ${fmt(g.bar, 2)}${unit} | ${met} |`);
  }
  return out.join('\n');
}

export function div(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}
