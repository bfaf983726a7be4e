/**
 * The peer benchmarks through the shared harness (../shared/bench/harness.js): the throughput matrix
 * (100-byte messages, both settle modes), 1 MiB messages, request-response latency and the codec, with
 * proton-ts, rhea and Proton C side by side (and proton-ts-promise, the promise API's sender and
 * request-response client), each configuration run `runs` times, in rounds (runHarnessRounds). Every
 * result line goes to one JSON-lines file, read back and merged by `report.ts`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where the harness and the Proton C peers are, and what is missing. */
export interface HarnessSetup {
  harness: string;
  env: NodeJS.ProcessEnv;
  protonc: boolean;
  notes: string[];
}

const PEERS = ['pc_recv', 'pc_send', 'pc_rr_server', 'pc_rr_client', 'pc_codec'];

/** Builds the Proton C peers into the scratch directory when gcc and libqpid-proton are there. */
export function setUpHarness(root: string, sharedBench: string): HarnessSetup {
  const scratch = process.env.BENCH_SCRATCH ?? '/tmp/amqp-bench';
  const bin = join(scratch, 'bin');
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(scratch, 'results'), { recursive: true });
  const notes: string[] = [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_SCRATCH: scratch,
    BENCH_BIN: bin,
    BENCH_IMPLS: join(root, 'bench', 'impls.json'),
    // rhea for the harness's rhea peers: this project's own dev dependency.
    NODE_PATH: [join(root, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(':'),
  };
  let protonc = true;
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'libqpid-proton'], { encoding: 'utf8' });
  if (flags.status !== 0) {
    protonc = false;
    notes.push(
      'Proton C peers skipped: pkg-config finds no libqpid-proton (apt-get install libqpid-proton11-dev)',
    );
  } else {
    for (const p of PEERS) {
      const src = join(sharedBench, 'protonc', `${p}.c`);
      const out = join(bin, p);
      if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) continue;
      try {
        execFileSync('gcc', ['-O2', '-o', out, src, ...flags.stdout.trim().split(/\s+/)], {
          stdio: 'inherit',
        });
      } catch {
        protonc = false;
        notes.push(`Proton C peers skipped: ${p} did not build`);
        break;
      }
    }
  }
  if (!existsSync('/usr/bin/time')) notes.push('/usr/bin/time is missing: the harness cannot run');
  return { harness: join(sharedBench, 'harness.js'), env, protonc, notes };
}

/** One harness invocation. */
export type HarnessJob = readonly string[];

/** The configurations of a full sitting; `n` messages per 100-byte throughput run. */
export function harnessJobs(protonc: boolean, n: number, bigCount: number, rrCount: number): HarnessJob[] {
  const jobs: HarnessJob[] = [];
  const pairs: [string, string][] = [
    ['proton-ts', 'proton-ts'],
    // The promise API's sender (sendMany) into the handler API's receiver: what the promise layer costs.
    ['proton-ts-promise', 'proton-ts'],
    ['rhea', 'rhea'],
  ];
  if (protonc)
    pairs.push(
      ['protonc', 'proton-ts'],
      ['protonc', 'rhea'],
      ['proton-ts', 'protonc'],
      ['rhea', 'protonc'],
      ['protonc', 'protonc'],
    );
  for (const presettled of [false, true]) {
    for (const [s, r] of pairs) {
      const job = ['throughput', '--sender', s, '--receiver', r, '--count', String(n), '--size', '100'];
      if (presettled) job.push('--presettled');
      jobs.push(job);
    }
  }
  const big: [string, string][] = [
    ['proton-ts', 'proton-ts'],
    ['rhea', 'rhea'],
  ];
  if (protonc) big.push(['protonc', 'protonc']);
  for (const [s, r] of big) {
    jobs.push([
      'throughput',
      '--sender',
      s,
      '--receiver',
      r,
      '--count',
      String(bigCount),
      '--size',
      '1048576',
      '--credit',
      '10',
    ]);
  }
  const rrPairs: [string, string][] = [
    ['proton-ts', 'proton-ts'],
    ['proton-ts', 'proton-ts-promise'],
    ['rhea', 'rhea'],
  ];
  if (protonc) rrPairs.push(['protonc', 'protonc']);
  // Pinned to one CPU ('same') is how the anchors and goal are measured: the software path
  // without the VM's cross-CPU wake-ups, which make unpinned latency bimodal (kept for reference).
  for (const pin of ['same', 'none']) {
    for (const [server, client] of rrPairs) {
      jobs.push([
        'rr',
        '--server',
        server,
        '--client',
        client,
        '--count',
        String(rrCount),
        '--size',
        '100',
        '--pin',
        pin,
      ]);
    }
  }
  for (const i of protonc ? ['proton-ts', 'rhea', 'protonc'] : ['proton-ts', 'rhea']) {
    jobs.push(['codec', '--impl', i, '--seconds', '2']);
  }
  return jobs;
}

/**
 * Runs every job `runs` times through the harness, in rounds: each round runs each job once (the order
 * reversed every other round), appending one result line per run to `out` (mergeRuns in report.ts makes
 * them one per job). The host's slow spells last seconds to minutes: run a job's runs back to back and a
 * spell can take all of one configuration's runs and none of the one it is compared with, and a ratio
 * then measures the spell; spread over the sitting, each configuration's runs meet the same host.
 * Returns the runs that failed, as "harness <job> (round r)".
 */
export function runHarnessRounds(
  setup: HarnessSetup,
  jobs: readonly HarnessJob[],
  runs: number,
  out: string,
): string[] {
  const failed: string[] = [];
  for (let round = 1; round <= runs; round++) {
    const order = round % 2 === 1 ? jobs : [...jobs].reverse();
    for (const job of order) {
      process.stderr.write(`round ${round}/${runs}: harness ${job.join(' ')}\n`);
      const r = spawnSync(process.execPath, [setup.harness, ...job, '--runs', '1', '--out', out], {
        env: setup.env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (r.status !== 0) failed.push(`harness ${job.join(' ')} (round ${round})`);
    }
  }
  return failed;
}
