/**
 * `npm run bench`: every benchmark of proton-ts in one sitting, side by side with rhea (and, where the
 * shared harness ../shared/bench is present, Proton C and the brokers), then bench/RESULTS.md rewritten
 * between its section markers and bench/throughput.svg drawn.
 *
 * Without ../shared (a user's clone) it runs what it can: the codec against rhea from node_modules, our
 * own peers against each other and our broker, and says what it skipped. Knobs (environment):
 * BENCH_SUITES (codec peers memory broker), BENCH_RUNS (3), BENCH_N (200000), BENCH_BIG (2000 messages
 * of 1 MiB), BENCH_RR (20000 round trips), BENCH_MEM_N (1000000), BENCH_BROKER_N (5000),
 * BENCH_SHARED (the shared bench directory).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokerSuite, brokerTargets } from './broker-suite.js';
import { type Bar, barChart } from './chart.js';
import { codecSuite } from './codec-suite.js';
import { harnessJobs, runHarnessRounds, setUpHarness } from './harness-suites.js';
import { ownPeerSuite } from './own-suite.js';
import {
  codecTable,
  div,
  type Goal,
  goalsTable,
  type HarnessRow,
  latencyTable,
  mergeRuns,
  rate,
  readRows,
  throughputTable,
} from './report.js';

const dir = dirname(fileURLToPath(import.meta.url));
const root = join(dir, '..', '..');
const sharedBench = process.env.BENCH_SHARED ?? join(root, '..', 'shared', 'bench');
const suites = new Set((process.env.BENCH_SUITES ?? 'codec peers memory broker').split(/[\s,]+/));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const n = Number(process.env.BENCH_N ?? 200_000);
const big = Number(process.env.BENCH_BIG ?? 2_000);
const rr = Number(process.env.BENCH_RR ?? 20_000);
const memN = Number(process.env.BENCH_MEM_N ?? 1_000_000);
const brokerN = Number(process.env.BENCH_BROKER_N ?? 5_000);
const started = Date.now();

const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const machine = `${stamp.slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const notes: string[] = [];
const sections = new Map<string, string>();
const goals: Goal[] = [];
const bars: Bar[] = [];

if (suites.has('codec')) {
  const c = codecSuite(dir, Math.max(runs, 5), '2', machine);
  sections.set('codec', c.table);
  goals.push({ what: 'codec encode, proton-ts / rhea', ratio: c.encode, bar: 5 });
  goals.push({ what: 'codec decode, proton-ts / rhea', ratio: c.decode, bar: 5 });
}

let rows: HarnessRow[] = [];
const harnessThere = existsSync(join(sharedBench, 'harness.js'));
if ((suites.has('peers') || suites.has('memory')) && harnessThere) {
  const setup = setUpHarness(root, sharedBench);
  notes.push(...setup.notes);
  const out = join(setup.env.BENCH_SCRATCH!, 'results', `proton-ts-${stamp.replace(/[-:]/g, '')}.jsonl`);
  const jobs = suites.has('peers') ? harnessJobs(setup.protonc, n, big, rr) : [];
  if (suites.has('memory')) {
    const source = setup.protonc ? 'protonc' : 'proton-ts';
    jobs.push(
      [
        'throughput',
        '--sender',
        source,
        '--receiver',
        'proton-ts',
        '--count',
        String(memN),
        '--size',
        '100',
        '--credit',
        '1000',
        '--label',
        'memory: backlog',
      ],
      [
        'throughput',
        '--sender',
        'proton-ts',
        '--receiver',
        'proton-ts-slow',
        '--count',
        String(memN),
        '--size',
        '100',
        '--label',
        'memory: slow receiver',
      ],
    );
  }
  for (const f of runHarnessRounds(setup, jobs, runs, out)) notes.push(`failed: ${f}`);
  if (existsSync(out)) rows = mergeRuns(readRows(out));
  notes.push(`harness results: ${out}`);
} else if (suites.has('peers') || suites.has('memory')) {
  notes.push(
    `no shared harness at ${sharedBench}: rhea and Proton C peers skipped; proton-ts peers measured against each other`,
  );
  rows = await ownPeerSuite(dir, {
    runs,
    n,
    big,
    rr,
    memN,
    memory: suites.has('memory'),
    peers: suites.has('peers'),
  });
}

if (rows.length > 0) {
  const peerRows = rows.filter((r) => !r.label);
  sections.set(
    'peers',
    [
      `Measured ${machine}; ${runs} runs per configuration, in rounds (each round runs every configuration once), medians (spread = (max − min) / median).`,
      '',
      '### Throughput (100-byte messages; 1 MiB messages with credit 10)',
      '',
      throughputTable(peerRows),
      '',
      '### Request-response latency (100 bytes, one request outstanding)',
      '',
      latencyTable(peerRows),
      '',
      '### Codec through the harness (each implementation its own `CODEC` command)',
      '',
      codecTable(peerRows),
    ].join('\n'),
  );
  const memRows = rows.filter((r) => r.label?.startsWith('memory'));
  if (memRows.length > 0) sections.set('memory', throughputTable(memRows));
  for (const presettled of [false, true]) {
    const mode = presettled ? 'at-most-once' : 'at-least-once';
    goals.push({
      what: `throughput ${mode}: proton-ts→proton-ts / rhea→rhea`,
      ratio: div(
        rate(rows, 'proton-ts', 'proton-ts', 100, presettled),
        rate(rows, 'rhea', 'rhea', 100, presettled),
      ),
      bar: 3,
    });
    goals.push({
      what: `${mode}: Proton C→proton-ts / Proton C→rhea`,
      ratio: div(
        rate(rows, 'protonc', 'proton-ts', 100, presettled),
        rate(rows, 'protonc', 'rhea', 100, presettled),
      ),
      bar: 2,
    });
    goals.push({
      what: `${mode}: proton-ts→Proton C / rhea→Proton C`,
      ratio: div(
        rate(rows, 'proton-ts', 'protonc', 100, presettled),
        rate(rows, 'rhea', 'protonc', 100, presettled),
      ),
      bar: 3,
    });
  }
  const bigRate = (impl: string) => rate(rows, impl, impl, 1048576);
  goals.push({
    what: '1 MiB messages: proton-ts / rhea',
    ratio: div(bigRate('proton-ts'), bigRate('rhea')),
    bar: 2,
  });
  goals.push({
    what: '1 MiB messages: proton-ts / Proton C',
    ratio: div(bigRate('proton-ts'), bigRate('protonc')),
    bar: 0.75,
  });
  // The goal is stated for both processes on one CPU; a sitting without the harness has only unpinned runs.
  const rrPin = rows.some((r) => r.suite === 'rr' && r.pin === 'same') ? 'same' : 'none';
  const lat = (impl: string) =>
    rows.find(
      (r) => r.suite === 'rr' && r.server === impl && r.client === impl && (r.pin ?? 'none') === rrPin,
    )?.median_us?.median ?? undefined;
  goals.push({
    what: `request-response median latency${rrPin === 'same' ? ', one CPU' : ''}: proton-ts / rhea`,
    ratio: div(lat('proton-ts'), lat('rhea')),
    bar: 0.5,
    atMost: true,
  });
  for (const m of memRows) {
    const rss = m.label === 'memory: backlog' ? m.recv_rss_kb?.median : m.send_rss_kb?.median;
    goals.push({
      what: `${m.label}: proton-ts ${m.label === 'memory: backlog' ? 'receiver' : 'sender'} peak RSS`,
      ratio: rss === undefined || rss === null ? undefined : rss / 1024,
      bar: 200,
      atMost: true,
      unit: ' MB',
    });
  }
  for (const r of peerRows) {
    // 1 MiB rates (hundreds a second) would not show on this scale: they are in the table.
    if (r.suite !== 'throughput' || !r.rate?.median || r.size !== 100) continue;
    bars.push({
      label: `${r.sender} → ${r.receiver}`,
      group: r.presettled ? 'at-most-once' : 'at-least-once',
      median: r.rate.median,
      min: r.rate.min ?? r.rate.median,
      max: r.rate.max ?? r.rate.median,
    });
  }
}

if (suites.has('broker')) {
  const targets = brokerTargets(dir, notes);
  const b = await brokerSuite(dir, targets, brokerN, runs);
  sections.set(
    'broker',
    [
      `Measured ${machine}; ${fmtN(brokerN)} messages of 100 bytes per run, at-least-once, ${runs} runs in rounds (the brokers started together, each round running each broker once).`,
      '',
      b.table,
    ].join('\n'),
  );
  for (const p of ['1x1', '4x4']) {
    goals.push({
      what: `broker ${p}: ours / RabbitMQ`,
      ratio: div(b.rates.get(`proton-ts broker ${p}`), b.rates.get(`RabbitMQ 3.10 (amqp1_0) ${p}`)),
      bar: 1,
    });
  }
}

function fmtN(x: number): string {
  return x.toLocaleString('en-US');
}

if (goals.length > 0) sections.set('goals', goalsTable(goals));
notes.push(`whole sitting: ${Math.round((Date.now() - started) / 1000)} s`);
sections.set('notes', notes.map((x) => `- ${x}`).join('\n'));

const file = join(root, 'bench', 'RESULTS.md');
let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
for (const [name, body] of sections) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) text = `${text.slice(0, a + begin.length)}\n${body}\n${text.slice(b)}`;
  else text += `\n## ${name}\n\n${begin}\n${body}\n${end}\n`;
  process.stdout.write(`\n## ${name}\n\n${body}\n`);
}
writeFileSync(file, text);
if (bars.length > 0) {
  mkdirSync(join(root, 'bench'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'throughput.svg'),
    barChart(`AMQP 1.0 throughput, 100-byte messages over loopback, ${stamp.slice(0, 10)}`, bars),
  );
}
process.stderr.write(`updated ${file}\n`);
