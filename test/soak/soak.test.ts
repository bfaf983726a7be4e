/**
 * The CI-sized soak: 40 s of churn (SOAK_TEST_SECONDS), then handles back to their starting counts and
 * a heap that does not keep growing. `npm run soak` is the long run (test/soak/run.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judge, reportLines } from './judge.js';
import { soak } from './soak.js';

const SECONDS = Number(process.env.SOAK_TEST_SECONDS ?? 40);

test(`soak: ${SECONDS} s of connection, link and message churn leaves nothing behind`, {
  timeout: (SECONDS + 90) * 1000,
}, async (t) => {
  const f = await soak(SECONDS);
  const v = judge(f);
  for (const line of reportLines(f, v)) if (line !== '') t.diagnostic(line);
  assert.ok(f.connections > f.workers * 5, `connections churned: ${f.connections}`);
  assert.deepEqual(v.problems, []);
});
