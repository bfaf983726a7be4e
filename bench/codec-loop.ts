/** The timing loop shared by the codec benchmarks: operations per second of `fn`, run in batches. */
let sink = 0;

/** Runs `fn` in batches of 1000 until `seconds` pass; returns operations per second. */
export function opsPerSecond(fn: () => number, seconds: number): number {
  const limit = BigInt(Math.round(seconds * 1e9));
  const t0 = process.hrtime.bigint();
  let ops = 0;
  let t = t0;
  do {
    for (let i = 0; i < 1000; i++) sink += fn();
    ops += 1000;
    t = process.hrtime.bigint();
  } while (t - t0 < limit);
  return ops / (Number(t - t0) / 1e9);
}

/** Keeps the results alive so the loop cannot be optimised away. */
export function used(): boolean {
  return sink > 0;
}

/** `--seconds S` from the command line. */
export function secondsArg(defaultSeconds = 2): number {
  const i = process.argv.indexOf('--seconds');
  return i > 0 ? Number(process.argv[i + 1]) : defaultSeconds;
}

/** The fields of the contract's typical message (bench contract, CODEC). */
export const TYPICAL = {
  id: 'ID:bench-0000000001',
  address: 'queue://bench.target',
  subject: 'bench-subject',
  replyTo: 'queue://bench.reply',
  correlationId: 'corr-0000000001',
  contentType: 'text/plain',
  properties: {
    'k-string': 'some-string-value',
    'k-int': 42,
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: the bench contract's value, not pi
    'k-double': 3.14159,
    'k-bool': true,
    'k-long': 1700000000000,
  },
  body: 'x'.repeat(100),
} as const;

/**
 * Warms up, then measures `encode` and `decode` for `seconds` each, and prints the contract's JSON line:
 * {"encoded_bytes":B,"encode_ops_per_s":E,"decode_ops_per_s":D}.
 */
export function measureCodec(encodedBytes: number, encode: () => number, decode: () => number): void {
  const seconds = secondsArg();
  opsPerSecond(encode, Math.min(0.5, seconds / 4));
  opsPerSecond(decode, Math.min(0.5, seconds / 4));
  const encodeOps = opsPerSecond(encode, seconds);
  const decodeOps = opsPerSecond(decode, seconds);
  process.stdout.write(
    `${JSON.stringify({
      encoded_bytes: encodedBytes,
      encode_ops_per_s: Math.round(encodeOps),
      decode_ops_per_s: Math.round(decodeOps),
      sink: used(),
    })}\n`,
  );
}
