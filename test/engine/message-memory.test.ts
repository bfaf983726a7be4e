/**
 * Message memory: each message its own, and the allocator primed once, by the first large message, with
 * no memory taken: after it, glibc reuses the memory of freed messages instead of faulting fresh pages.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { LARGE_MEMORY_MIN, messageMemory, messageMemoryPrimed } from '../../src/engine/message-memory.js';

test('small messages leave the allocator be; the first large one primes it, once, taking no memory', () => {
  assert.equal(messageMemoryPrimed(), false);
  const small = messageMemory(LARGE_MEMORY_MIN - 1);
  assert.equal(small.length, LARGE_MEMORY_MIN - 1);
  assert.equal(messageMemoryPrimed(), false);
  const before = process.memoryUsage().rss;
  const big = messageMemory(LARGE_MEMORY_MIN);
  const grew = process.memoryUsage().rss - before;
  assert.equal(messageMemoryPrimed(), true);
  assert.equal(big.length, LARGE_MEMORY_MIN);
  assert.ok(grew < 8 * 1024 * 1024, `priming took ${grew} bytes of memory`);
});

test('each message has memory of its own', () => {
  const a = messageMemory(1 << 20);
  const b = messageMemory(1 << 20);
  a.fill(1);
  b.fill(2);
  assert.equal(a[a.length - 1], 1);
  assert.notEqual(a.buffer, b.buffer);
  const c = messageMemory(100);
  const d = messageMemory(100);
  c.fill(3);
  d.fill(4);
  assert.equal(c[99], 3);
});

/** Page faults of a process that fills, drops and collects 32 MiB of 1 MiB messages five times. */
function churnFaults(primed: boolean): number {
  const module = new URL('../../src/engine/message-memory.js', import.meta.url).href;
  const code = `
    const { messageMemory } = await import(${JSON.stringify(module)});
    const alloc = process.env.PRIMED === '1' ? messageMemory : (n) => Buffer.allocUnsafe(n);
    const fill = () => {
      const kept = [];
      for (let i = 0; i < 32; i++) kept.push(alloc(1 << 20).fill(1));
      return kept.length;
    };
    const round = async () => {
      fill();
      gc();
      await new Promise((r) => setTimeout(r, 20));
    };
    await round();
    const before = process.resourceUsage().minorPageFault;
    for (let k = 0; k < 5; k++) await round();
    console.log(process.resourceUsage().minorPageFault - before);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', code], {
    env: { ...process.env, PRIMED: primed ? '1' : '0' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('once primed, the memory of collected messages is reused rather than faulted in afresh (glibc)', () => {
  const plain = churnFaults(false);
  const primed = churnFaults(true);
  const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header
    .glibcVersionRuntime;
  if (glibc !== undefined) {
    // 160 MiB filled: ~41,000 faults when each round's memory is fresh, ~1,000 when it is reused.
    assert.ok(plain > 20_000, `unprimed: ${plain} faults`);
    assert.ok(primed * 4 < plain, `primed: ${primed} faults against ${plain} unprimed`);
  } else {
    // Another allocator ignores the hint: priming must cost nothing there.
    assert.ok(primed <= plain * 1.5 + 1000, `primed: ${primed} faults against ${plain} unprimed`);
  }
});
