/**
 * Backoff and reconnectDelays: the verified Proton sequences (proton-api.md §1.2.4) in milliseconds,
 * fresh iteration, jitter bounds, validation and the reconnect option.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, reconnectDelays } from '../../src/container/backoff.js';
import { InvalidOptionError } from '../../src/errors.js';

function take(delays: Iterable<number>, n: number): number[] {
  const out: number[] = [];
  for (const d of delays) {
    if (out.length === n) break;
    out.push(d);
  }
  return out;
}

function throwsOption(fn: () => unknown, option: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidOptionError, String(err));
    assert.equal(err.option, option);
    assert.match(err.message, new RegExp(`'${option}'`));
    return true;
  });
}

describe('Backoff: the verified Proton sequences, in ms', () => {
  it('delay_iter(): 0, 100, 200 ... 6400, 10000, 10000 ... without end', () => {
    assert.deepEqual(
      take(new Backoff(), 12),
      [0, 100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000, 10000],
    );
    assert.equal(take(new Backoff(), 1000).length, 1000);
  });

  it('delay_iter(max_tries=4): 0, 100, 200, 400', () => {
    assert.deepEqual([...new Backoff({ maxTries: 4 })], [0, 100, 200, 400]);
  });

  it('Backoff(initial=1, factor=3, max_delay=20, max_tries=5): 0, 1000, 3000, 9000, 20000', () => {
    assert.deepEqual(
      [...new Backoff({ initial: 1000, factor: 3, maxDelay: 20000, maxTries: 5 })],
      [0, 1000, 3000, 9000, 20000],
    );
  });

  it('Backoff(max_tries=5) waits 0+100+100+200+200+400+400+800+800 with two URLs', () => {
    // Proton tries every URL at each delay: 10 attempts, 3000 ms in all.
    const attempts = [...new Backoff({ maxTries: 5 })].flatMap((d) => [d, d]);
    assert.equal(attempts.length, 10);
    assert.equal(
      attempts.slice(1).reduce((a, b) => a + b, 0),
      3000,
    );
  });

  it('maxTries 1 is the first attempt alone; Infinity is no end', () => {
    assert.deepEqual([...new Backoff({ maxTries: 1 })], [0]);
    assert.equal(new Backoff({ maxTries: Number.POSITIVE_INFINITY }).maxTries, undefined);
    assert.equal(take(new Backoff({ maxTries: Number.POSITIVE_INFINITY }), 50).length, 50);
  });

  it('a factor of 1 keeps the delay constant; initial 0 stays 0', () => {
    assert.deepEqual([...new Backoff({ initial: 500, factor: 1, maxTries: 4 })], [0, 500, 500, 500]);
    assert.deepEqual([...new Backoff({ initial: 0, maxTries: 3 })], [0, 0, 0]);
  });

  it('caps an initial above maxDelay at once (Proton yielded it once)', () => {
    assert.deepEqual([...new Backoff({ initial: 5000, maxDelay: 1000, maxTries: 4 })], [0, 1000, 1000, 1000]);
  });

  it('exposes its options with their defaults', () => {
    const b = new Backoff();
    assert.deepEqual(
      { initial: b.initial, factor: b.factor, maxDelay: b.maxDelay, maxTries: b.maxTries, jitter: b.jitter },
      { initial: 100, factor: 2, maxDelay: 10000, maxTries: undefined, jitter: 0 },
    );
  });
});

describe('Backoff: every iteration starts again (unlike Proton)', () => {
  it('two spreads give the same sequence', () => {
    const b = new Backoff({ maxTries: 4 });
    assert.deepEqual([...b], [0, 100, 200, 400]);
    assert.deepEqual([...b], [0, 100, 200, 400]);
  });

  it('iterators from one Backoff are independent', () => {
    const b = new Backoff();
    const one = b[Symbol.iterator]();
    const two = b[Symbol.iterator]();
    assert.equal(one.next().value, 0);
    assert.equal(one.next().value, 100);
    assert.equal(one.next().value, 200);
    assert.equal(two.next().value, 0);
    assert.equal(two.next().value, 100);
    assert.equal(one.next().value, 400);
  });
});

describe('Backoff: jitter', () => {
  it('keeps each delay in [d × (1 − jitter), d] and the leading 0 at 0', () => {
    const exact = take(new Backoff(), 40);
    for (const jitter of [0.1, 0.5, 1]) {
      const spread = take(new Backoff({ jitter }), 40);
      assert.equal(spread[0], 0);
      for (let i = 0; i < exact.length; i++) {
        const d = exact[i]!;
        const j = spread[i]!;
        assert.ok(j <= d && j >= d * (1 - jitter), `${j} for ${d} with jitter ${jitter}`);
      }
    }
  });

  it('reaches both ends of the range with an injected random source', () => {
    assert.deepEqual([...new Backoff({ jitter: 0.5, maxTries: 4, random: () => 0 })], [0, 100, 200, 400]);
    assert.deepEqual([...new Backoff({ jitter: 0.5, maxTries: 4, random: () => 1 })], [0, 50, 100, 200]);
    assert.deepEqual([...new Backoff({ jitter: 0.25, maxTries: 3, random: () => 0.5 })], [0, 87.5, 175]);
  });

  it('does not compound: each delay is cut from the exact one', () => {
    const exact = take(new Backoff(), 12);
    const spread = take(new Backoff({ jitter: 0.8, random: () => 0.5 }), 12);
    assert.deepEqual(
      spread,
      exact.map((d) => d * 0.6),
    );
  });

  it('jitter 0 is exact and never calls the random source', () => {
    const seq = [...new Backoff({ maxTries: 6, random: () => assert.fail('random called') })];
    assert.deepEqual(seq, [0, 100, 200, 400, 800, 1600]);
  });

  it('spreads a storm: many clients do not all wait the same time', () => {
    const seconds = new Set(Array.from({ length: 50 }, () => take(new Backoff({ jitter: 0.5 }), 5)[4]));
    assert.ok(seconds.size > 1);
  });
});

describe('Backoff: validation names the option', () => {
  it('a negative initial', () => {
    throwsOption(() => new Backoff({ initial: -1 }), 'initial');
  });

  it('a factor below 1', () => {
    throwsOption(() => new Backoff({ factor: 0.5 }), 'factor');
    throwsOption(() => new Backoff({ factor: 0 }), 'factor');
  });

  it('a negative or infinite maxDelay', () => {
    throwsOption(() => new Backoff({ maxDelay: -5 }), 'maxDelay');
    throwsOption(() => new Backoff({ maxDelay: Number.POSITIVE_INFINITY }), 'maxDelay');
  });

  it('a maxTries that is not a positive integer', () => {
    throwsOption(() => new Backoff({ maxTries: 0 }), 'maxTries');
    throwsOption(() => new Backoff({ maxTries: -2 }), 'maxTries');
    throwsOption(() => new Backoff({ maxTries: 2.5 }), 'maxTries');
  });

  it('a jitter outside 0..1', () => {
    throwsOption(() => new Backoff({ jitter: -0.1 }), 'jitter');
    throwsOption(() => new Backoff({ jitter: 1.5 }), 'jitter');
  });

  it('NaN and values of the wrong type', () => {
    throwsOption(() => new Backoff({ initial: Number.NaN }), 'initial');
    throwsOption(() => new Backoff({ factor: '2' as unknown as number }), 'factor');
    throwsOption(() => new Backoff({ random: 1 as unknown as () => number }), 'random');
  });
});

describe('reconnectDelays', () => {
  it('undefined and true give the default infinite Backoff', () => {
    for (const option of [undefined, true]) {
      const delays = reconnectDelays(option);
      assert.ok(delays instanceof Backoff);
      assert.deepEqual(take(delays, 10), [0, 100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000]);
    }
  });

  it('false gives the first attempt alone', () => {
    assert.deepEqual([...reconnectDelays(false)], [0]);
  });

  it('a Backoff is used as it is', () => {
    const b = new Backoff({ maxTries: 3 });
    assert.equal(reconnectDelays(b), b);
    assert.deepEqual([...reconnectDelays(b)], [0, 100, 200]);
  });

  it('an iterable of delays is given back as it is, and an array can be walked again', () => {
    const delays = reconnectDelays([0, 500, 1000]);
    assert.deepEqual([...delays], [0, 500, 1000]);
    assert.deepEqual([...delays], [0, 500, 1000]);
    assert.deepEqual([...reconnectDelays(new Set([0, 250]))], [0, 250]);
    assert.deepEqual([...reconnectDelays([])], []);
  });

  it('a generator is walked once, lazily', () => {
    let made = 0;
    function* gen(): Generator<number> {
      for (;;) yield made++ * 10;
    }
    const delays = reconnectDelays(gen());
    assert.equal(made, 0);
    assert.deepEqual(take(delays, 3), [0, 10, 20]);
  });

  it('a bad delay is reported when it is read, naming reconnect', () => {
    const delays = reconnectDelays([0, -1]);
    throwsOption(() => [...delays], 'reconnect');
    throwsOption(() => [...reconnectDelays([Number.NaN])], 'reconnect');
    throwsOption(() => [...reconnectDelays(['1'] as unknown as number[])], 'reconnect');
  });

  it('a value of another type names reconnect', () => {
    throwsOption(() => reconnectDelays(5 as unknown as boolean), 'reconnect');
    throwsOption(() => reconnectDelays(null as unknown as boolean), 'reconnect');
    throwsOption(() => reconnectDelays({} as unknown as boolean), 'reconnect');
    throwsOption(() => reconnectDelays('0 1' as unknown as boolean), 'reconnect');
  });
});
