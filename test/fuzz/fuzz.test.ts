/**
 * The short pass of the fuzzers that `npm test` runs (the long one is `npm run fuzz`): every seed of
 * every target replays cleanly, each target runs coverage-guided for FUZZ_TEST_SECONDS (2 by default)
 * with no crash, hang or unbounded allocation, and the harness itself is shown able to catch each kind
 * of failure and to write its section of docs/reliability.md without touching the rest of the file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DecodeError } from '../../src/errors.js';
import { coverageTracker, stopCoverage } from './coverage.js';
import { fuzz, LEAK_BOUND } from './harness.js';
import { applyMutations } from './mutate.js';
import { renderSection, writeSection } from './report.js';
import { allowOnly, FuzzFailure, type FuzzTarget, timed } from './target.js';
import { TARGETS } from './targets.js';

const SECONDS = Number(process.env.FUZZ_TEST_SECONDS ?? 2);

// Coverage from the start: code V8 compiles before it is on has no block counters.
coverageTracker();

after(() => stopCoverage());

describe('fuzz targets: the short pass', () => {
  it('has a target for everything that parses bytes from a peer', () => {
    assert.deepEqual(
      TARGETS.map((t) => t.name),
      ['codec', 'frame', 'sasl-server', 'sasl-client', 'transport-server', 'transport-client', 'selector'],
    );
  });

  for (const target of TARGETS) {
    it(`${target.name}: every seed runs clean, whole, byte by byte and ended`, () => {
      const seeds = target.seeds();
      assert.ok(seeds.length >= 2, `${seeds.length} seeds`);
      for (const seed of seeds) {
        for (const [chunking, eof] of [
          [[], false],
          [[1], true],
          [[5, 700], false],
        ] as const) {
          target.execute(seed, chunking, eof);
        }
      }
    });

    it(`${target.name}: ${SECONDS} s of coverage-guided mutation, no failure`, (t) => {
      const s = fuzz(target, { seconds: SECONDS, coverage: true, guidedShare: 0.5, minRuns: 100 });
      t.diagnostic(
        `${s.executions} executions in ${s.seconds.toFixed(1)} s, corpus ${s.seeds} + ${s.kept}, ${s.blocks} blocks`,
      );
      assert.deepEqual(
        s.failures.map((f) => `${f.kind}: ${f.message}`),
        [],
      );
      assert.ok(s.executions >= s.seeds * 2 + 100, `only ${s.executions} executions`);
      assert.ok(s.blocks > 50, `coverage saw ${s.blocks} blocks`);
      assert.ok(s.heapGrowth < LEAK_BOUND, `heap grew ${s.heapGrowth} bytes`);
    });
  }
});

describe('the fuzz harness', () => {
  /** A target with planted bugs: each byte value 1..4 at the start of an input sets one off. */
  const planted: FuzzTarget = {
    name: 'planted',
    about: 'bugs on purpose',
    dictionary: [Buffer.from([1]), Buffer.from([2]), Buffer.from([3]), Buffer.from([4])],
    // The bugs are in the seeds, to be found in the first second; mutations find them again.
    seeds: () => [
      [Buffer.from([0, 0])],
      [Buffer.from([2, 9, 9])],
      [Buffer.from([1])],
      [Buffer.from([3])],
      [Buffer.from([4])],
    ],
    execute(units) {
      const b = Buffer.concat(units);
      try {
        if (b[0] === 1) throw new TypeError('planted');
        if (b[0] === 2) throw new DecodeError('fine', 0);
      } catch (e) {
        allowOnly(e, 'planted', DecodeError);
      }
      if (b[0] === 3)
        timed('a planted hang', () => {
          const until = performance.now() + 1100;
          while (performance.now() < until);
        });
      if (b[0] === 4) (globalThis as { hoard?: Buffer }).hoard = Buffer.alloc(100 * 2 ** 20, 1);
    },
  };

  it('catches a stray exception, a hang and a hoard, and lets typed errors pass', () => {
    const s = fuzz(planted, { seconds: 1, coverage: false, seed: 42 });
    delete (globalThis as { hoard?: Buffer }).hoard;
    const kinds = new Set(s.failures.map((f) => f.kind));
    assert.ok(kinds.has('crash'), JSON.stringify(s.failures.map((f) => f.message)));
    assert.ok(kinds.has('hang'));
    assert.ok(kinds.has('alloc'));
    for (const f of s.failures) {
      assert.ok(
        [1, 3, 4].includes(Buffer.concat(f.units)[0]!),
        `a failure from ${f.units[0]?.toString('hex')}`,
      );
    }
  });

  it('mutates frames: sizes, header fields, splices from other entries', () => {
    const frame = Buffer.from('0000000c02000000aabbccdd', 'hex');
    const other = [Buffer.from('ffff', 'hex')];
    const out = applyMutations(
      [frame],
      [
        { kind: 'size', unit: 0, size: 0xffffffff },
        { kind: 'header', unit: 0, field: 'channel', value: 0xffff },
        { kind: 'splice', unit: 0, other: 0, otherUnit: 0 },
      ],
      () => other,
    );
    assert.deepEqual(
      out.map((u) => u.toString('hex')),
      ['ffff', 'ffffffff0200ffffaabbccdd'],
    );
    assert.equal(frame.toString('hex'), '0000000c02000000aabbccdd', 'the corpus entry is untouched');
  });

  it('writes its section of docs/reliability.md between its markers, and only there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-report-'));
    try {
      const file = join(dir, 'reliability.md');
      const stats = {
        target: 'codec',
        about: '',
        seconds: 2,
        executions: 1234,
        seeds: 3,
        kept: 4,
        blocks: 55,
        guided: 10,
        coverage: true,
        failures: [],
        failureCount: 0,
        slowestMs: 3,
        heapGrowth: 0,
      };
      writeSection(renderSection([stats], new Date(0), 'v20'), file);
      assert.match(
        readFileSync(file, 'utf8'),
        /^# Reliability\n\n<!-- fuzz:begin -->[\s\S]*\| `codec` \| 1234 \|/,
      );
      const first = readFileSync(file, 'utf8').replace('# Reliability\n\n', '');
      writeFileSync(file, `# R\n\nbefore\n${first}\n<!-- soak:begin -->x<!-- soak:end -->\n`);
      writeSection(renderSection([{ ...stats, executions: 99 }], new Date(0), 'v20'), file);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /^# R\n\nbefore\n<!-- fuzz:begin -->/);
      assert.match(text, /\| `codec` \| 99 \|/);
      assert.doesNotMatch(text, /1234/);
      assert.match(text, /<!-- fuzz:end -->\n\n<!-- soak:begin -->x<!-- soak:end -->\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a FuzzFailure carries its kind', () => {
    assert.equal(new FuzzFailure('hang', 'x').kind, 'hang');
  });
});
