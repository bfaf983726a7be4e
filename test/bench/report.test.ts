import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type HarnessRow, mergeRuns, rate, statOf } from '../../bench/report.js';

let runNumber = 0;

/** A result line of one harness run of a throughput configuration, as `--runs 1` writes it. */
function throughputRun(
  sender: string,
  receiver: string,
  msgs: number | null,
  presettled = false,
): HarnessRow {
  const one = (v: number | null) => statOf(v === null ? [] : [v]);
  return {
    suite: 'throughput',
    sender,
    receiver,
    count: 200000,
    size: 100,
    presettled,
    pin: 'none',
    runs_ok: msgs === null ? 0 : 1,
    runs_total: 1,
    rate: one(msgs),
    recv_cpu_s: one(msgs === null ? null : 1),
    runs: [{ n: msgs }],
    // Each run has its own time: an outcome, not part of the configuration.
    when: `2026-11-23T03:${String(runNumber++ % 60).padStart(2, '0')}:00Z`,
  } as HarnessRow;
}

describe('bench report: merging the runs of a sitting in rounds', () => {
  it('takes the median, range and spread of every run of a configuration, wherever its lines are', () => {
    const rows = [
      throughputRun('a', 'a', 100),
      throughputRun('b', 'b', 10),
      throughputRun('a', 'a', 300),
      throughputRun('b', 'b', 30),
      throughputRun('a', 'a', 200),
      throughputRun('b', 'b', null),
    ];
    const merged = mergeRuns(rows);
    assert.equal(merged.length, 2, 'one line per configuration');
    assert.deepEqual(
      merged.map((r) => r.sender),
      ['a', 'b'],
    );
    const a = merged[0]!;
    assert.equal(a.rate?.median, 200);
    assert.equal(a.rate?.min, 100);
    assert.equal(a.rate?.max, 300);
    assert.equal(a.rate?.pct, 100);
    assert.equal(a.runs_ok, 3);
    assert.equal(a.runs_total, 3);
    const b = merged[1]!;
    assert.equal(b.rate?.median, 20, 'a failed run has no value and does not count');
    assert.equal(b.runs_ok, 2);
    assert.equal(b.runs_total, 3);
    assert.equal(rate(merged, 'a', 'a', 100), 200);
    const records = (merged[0] as unknown as { runs: { n: number }[] }).runs;
    assert.deepEqual(
      records.map((x) => x.n),
      [100, 300, 200],
      "every run's record, in order",
    );
  });

  it('keeps apart configurations that differ in any field of what was run', () => {
    const merged = mergeRuns([
      throughputRun('a', 'a', 100, false),
      throughputRun('a', 'a', 50, true),
      throughputRun('a', 'a', 300, false),
    ]);
    assert.equal(merged.length, 2);
    assert.equal(rate(merged, 'a', 'a', 100, false), 200);
    assert.equal(rate(merged, 'a', 'a', 100, true), 50);
  });

  it('leaves the lines it is given as they were', () => {
    const rows = [throughputRun('a', 'a', 100), throughputRun('a', 'a', 300)];
    const before = structuredClone(rows);
    mergeRuns(rows);
    assert.deepEqual(rows, before);
  });

  it('gives the statistics of all the runs, however they are split into lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (values, cut) => {
          const lines = [values.slice(0, cut), values.slice(cut)]
            .filter((v) => v.length > 0)
            .map((v) => ({
              ...throughputRun('a', 'a', null),
              runs_ok: v.length,
              runs_total: v.length,
              rate: statOf(v),
            }));
          const [merged] = mergeRuns(lines);
          assert.deepEqual(merged!.rate, statOf(values));
          assert.equal(merged!.runs_ok, values.length);
          const sorted = [...values].sort((x, y) => x - y);
          assert.ok(merged!.rate!.min === sorted[0] && merged!.rate!.max === sorted[sorted.length - 1]);
        },
      ),
    );
  });
});
