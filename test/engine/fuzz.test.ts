/**
 * Byte-level fuzzing of `Transport.push()`, client and server, with and without SASL. The inputs are
 * random bytes, and real traffic (test/fixtures/traffic/*.hex, recorded by record.ts from full exchanges)
 * truncated and mutated: bits flipped, bytes set to format codes, bytes inserted and deleted, frames
 * dropped, repeated, swapped and resized. Each input is fed whole or in chunks of random sizes to an
 * engine whose application answers as a simple peer would (opens what the peer opens, grants credit,
 * accepts what arrives), then, for some inputs, the stream ends.
 *
 * For every input: `push` never throws and returns within a time bound, and the transport ends either
 * in a valid state (no condition, no `transport_error`) or closed with a condition, a `transport_error`
 * event, and (once AMQP was reached) output that decodes as frames ending in a close carrying that
 * condition. Then the hostile limits: a 4 GiB frame, a list claiming 2^31 elements, nesting 100,000
 * deep, 65,536 channels, handles beyond handle-max, a flood of empty frames, endless SASL exchanges.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Attach,
  Begin,
  Close,
  Flow,
  Open,
  SaslChallenge,
  SaslInit,
  SaslMechanisms,
  SaslResponse,
  Transfer,
} from '../../src/codec/index.js';
import { State } from '../../src/engine/index.js';
import { ProtonError } from '../../src/errors.js';
import {
  CLIENT_SASL_PLAIN,
  openClientSide,
  PLAIN_PASSWORD,
  PLAIN_USER,
  parseHex,
  SERVER_SASL,
  TRAFFIC_DIR,
} from '../fixtures/traffic/record.js';
import { answer, decodeOutput, type OutUnit } from '../fuzz/engine-check.js';
import { applyMutations, chunkingArb, mutationArb } from '../fuzz/mutate.js';
import { type Chunking, chunksOf } from '../fuzz/target.js';
import { AMQP_HEADER, frame, SASL_HEADER } from '../limits/hostile.js';
import { type PairOptions, pair, type Side } from '../support/pair.js';

// ------------------------------------------------------------------------------------------------
// The seed corpus

interface Seed {
  name: string;
  /** The stream's protocol headers and frames, in order. */
  units: Buffer[];
}

const corpus = new Map<string, Seed>();
for (const file of readdirSync(TRAFFIC_DIR).filter((f) => f.endsWith('.hex'))) {
  const name = file.replace(/\.hex$/, '');
  corpus.set(name, { name, units: parseHex(readFileSync(`${TRAFFIC_DIR}${file}`, 'utf8')) });
}
function seeds(...names: string[]): Seed[] {
  return names.map((n) => {
    const s = corpus.get(n);
    assert.ok(s !== undefined, `test/fixtures/traffic/${n}.hex is missing: run record.js`);
    return s;
  });
}

// ------------------------------------------------------------------------------------------------
// The engine under test, and its application

interface Target {
  name: string;
  server: boolean;
  options: PairOptions;
  /** The streams of the other side, to mutate. */
  seeds: Seed[];
  /** The header this side expects first. */
  header: Buffer;
  /** The seeds that, replayed a frame at a time, run to the peer's close (SCRAM's nonces differ). */
  deep: string[];
}

const TARGETS: Target[] = [
  {
    name: 'server',
    server: true,
    options: {},
    seeds: seeds('amqp.client', 'sasl-plain.client'),
    header: AMQP_HEADER,
    deep: ['amqp.client'],
  },
  {
    name: 'server with SASL',
    server: true,
    options: { serverSasl: SERVER_SASL },
    seeds: seeds('sasl-plain.client', 'sasl-scram.client', 'sasl-anonymous.client', 'amqp.client'),
    header: SASL_HEADER,
    deep: ['sasl-plain.client', 'sasl-anonymous.client'],
  },
  {
    name: 'client',
    server: false,
    options: {},
    seeds: seeds('amqp.server', 'sasl-plain.server'),
    header: AMQP_HEADER,
    deep: ['amqp.server'],
  },
  {
    name: 'client with SASL PLAIN',
    server: false,
    options: { clientSasl: CLIENT_SASL_PLAIN },
    seeds: seeds('sasl-plain.server', 'sasl-anonymous.server', 'sasl-scram.server'),
    header: SASL_HEADER,
    deep: ['sasl-plain.server', 'sasl-anonymous.server'],
  },
  {
    name: 'client with SASL SCRAM',
    server: false,
    options: { clientSasl: { user: PLAIN_USER, password: PLAIN_PASSWORD } },
    seeds: seeds('sasl-scram.server', 'sasl-plain.server'),
    header: SASL_HEADER,
    deep: [],
  },
];

/** A fresh engine for a target; a client opens its side of the recorded exchange first. */
function make(target: Target): Side {
  const p = pair(target.options);
  const side = target.server ? p.server : p.client;
  if (!target.server) openClientSide(side);
  return side;
}

/** Errors the application's calls threw that are not the engine's own (TypeError, RangeError...). */
const appFaults: string[] = [];

/**
 * The application of the engine under test: it takes every event, and answers as a simple peer does
 * (opens what the peer opened, grants credit, reads and accepts what arrives, closes what the peer
 * closed). Engine errors from these calls (a `ProtonError`: misuse on a dead endpoint) are allowed;
 * anything else is an engine fault, collected in `appFaults`.
 */
function respond(side: Side): void {
  for (let e = side.collector.pop(); e !== undefined; e = side.collector.pop()) {
    side.events.push(e);
    if (side.transport.condition !== undefined || side.transport.closed) continue;
    try {
      answer(side, e.type, e.context);
    } catch (err) {
      if (!(err instanceof ProtonError)) appFaults.push(`${e.type}: ${String(err)}`);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Decoding what the engine wrote

// ------------------------------------------------------------------------------------------------
// One input

/** The longest a single input may take to be consumed (generous: a hang is what this catches). */
const TIME_LIMIT_MS = 2000;

interface RunStats {
  executions: number;
  failed: number;
  valid: number;
  pushes: number;
  bytes: number;
  maxMs: number;
  conditions: Map<string, number>;
}

function newStats(): RunStats {
  return { executions: 0, failed: 0, valid: 0, pushes: 0, bytes: 0, maxMs: 0, conditions: new Map() };
}

/**
 * Feeds `input` to a fresh engine of `target`, then ends the stream when `eof`, and checks the end
 * state. Returns the side for further checks.
 */
function runInput(target: Target, input: Buffer, how: Chunking, eof: boolean, stats: RunStats): Side {
  const side = make(target);
  const t = side.transport;
  const written: Buffer[] = [];
  // Taking the output may close the output side: respond again for the events that brings.
  const take = () => {
    const o = t.takeOutput();
    if (o !== undefined) written.push(Buffer.from(o));
    respond(side);
  };
  respond(side);
  take();
  const start = performance.now();
  for (const chunk of chunksOf(input, how)) {
    try {
      t.push(chunk);
    } catch (e) {
      assert.fail(`${target.name}: push threw ${String(e)} (input ${input.toString('hex').slice(0, 400)})`);
    }
    stats.pushes++;
    respond(side);
    take();
  }
  const failedBeforeEnd = t.condition !== undefined;
  if (eof) {
    t.closeTail();
    respond(side);
    take();
  }
  const ms = performance.now() - start;
  stats.executions++;
  stats.bytes += input.length;
  stats.maxMs = Math.max(stats.maxMs, ms);
  assert.ok(ms < TIME_LIMIT_MS, `${target.name}: ${input.length} bytes took ${ms.toFixed(0)} ms`);
  checkEnd(target, side, Buffer.concat(written), failedBeforeEnd, input);
  if (t.condition === undefined) stats.valid++;
  else {
    stats.failed++;
    stats.conditions.set(t.condition.name, (stats.conditions.get(t.condition.name) ?? 0) + 1);
  }
  // Whatever comes after is ignored once the input side is closed, and never throws.
  const closedTail = t.tailClosed;
  const before = side.events.length;
  t.push(Buffer.from('4141414141414141', 'hex'));
  respond(side);
  if (closedTail) {
    assert.equal(t.takeOutput(), undefined, 'no output after the input side closed');
    assert.equal(side.events.length, before, 'no event after the input side closed');
  }
  if (appFaults.length > 0) {
    const faults = appFaults.splice(0);
    assert.fail(`${target.name}: application calls failed inside the engine: ${faults.join('; ')}`);
  }
  return side;
}

function checkEnd(target: Target, side: Side, out: Buffer, failedBeforeEnd: boolean, input: Buffer): void {
  const t = side.transport;
  const types = side.events.map((e) => e.type);
  const hex = () => input.toString('hex').slice(0, 600);
  let units: OutUnit[];
  try {
    units = decodeOutput(out);
  } catch (e) {
    assert.fail(`${target.name}: its output does not decode (${String(e)}); input ${hex()}`);
  }
  if (t.condition === undefined) {
    assert.ok(!types.includes('transport_error'), `${target.name}: a transport_error with no condition`);
    return;
  }
  assert.ok(
    types.includes('transport_error'),
    `${target.name}: failed (${t.condition}) with no transport_error`,
  );
  assert.notEqual(
    t.condition.name,
    'amqp:internal-error',
    `${target.name}: the peer's bytes raised an internal error (${t.condition.description}); input ${hex()}`,
  );
  assert.equal(t.tailClosed, true, `${target.name}: failed, yet takes input`);
  assert.equal(t.headClosed, true, `${target.name}: failed, yet may write`);
  if (!failedBeforeEnd) return; // the stream ended: nobody is left to tell
  const amqpFrames = units.filter((u) => u.type === 0 && u.body !== undefined);
  const amqpReached =
    amqpFrames.length > 0 || t.remoteOpened || (t.server && units.some((u) => u.header?.equals(AMQP_HEADER)));
  if (!amqpReached) return;
  const last = units[units.length - 1];
  assert.ok(
    last?.body instanceof Close,
    `${target.name}: failed with ${t.condition} after reaching AMQP, but its output ends with ${
      last?.header ? 'a header' : (last?.body as object | undefined)?.constructor.name
    }; input ${hex()}`,
  );
  assert.equal(last.body.error?.condition, t.condition.name, `${target.name}: the close's condition`);
  assert.equal(last.body.error?.description, t.condition.description);
  assert.equal(amqpFrames.filter((u) => u.body instanceof Close).length, 1, 'one close');
}

// ------------------------------------------------------------------------------------------------
// Mutations

// ------------------------------------------------------------------------------------------------
// Frame builders for the hostile inputs

/** The transport's condition (a call, so that an earlier check does not narrow it for the compiler). */
function conditionOf(side: Side) {
  return side.transport.condition;
}

/** A uint as 8 hex digits. */
function u32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function open(fields: Partial<Open> = {}): Buffer {
  return frame(Object.assign(new Open(), { containerId: 'fuzzer' }, fields));
}

function begin(fields: Partial<Begin> = {}, channel = 0): Buffer {
  return frame(
    Object.assign(new Begin(), { nextOutgoingId: 0, incomingWindow: 100, outgoingWindow: 100 }, fields),
    channel,
  );
}

/** A server engine that has read our AMQP header and open. */
function openServer(options: PairOptions = {}): Side {
  const side = pair(options).server;
  side.transport.push(Buffer.concat([AMQP_HEADER, open()]));
  respond(side);
  side.transport.takeOutput();
  assert.equal(side.transport.condition, undefined);
  return side;
}

/** A server engine with SASL that has read the SASL header and written its mechanisms. */
function saslServer(options: PairOptions['server'] = {}): Side {
  const side = pair({ server: options, serverSasl: SERVER_SASL }).server;
  side.transport.push(SASL_HEADER);
  const out = decodeOutput(side.transport.takeOutput()!);
  assert.ok(out.some((u) => u.body instanceof SaslMechanisms));
  return side;
}

/** Pushes bytes and returns what the engine answered, decoded. */
function pushAndRead(side: Side, bytes: Buffer): OutUnit[] {
  side.transport.push(bytes);
  respond(side);
  return decodeOutput(side.transport.takeOutput() ?? Buffer.alloc(0));
}

/** The engine failed with `condition`, told the application, and closed with it. */
function assertClosedWith(side: Side, out: OutUnit[], condition: string | RegExp): void {
  const t = side.transport;
  assert.ok(t.condition !== undefined, 'the transport did not fail');
  if (typeof condition === 'string') assert.equal(t.condition.name, condition, String(t.condition));
  else assert.match(t.condition.name, condition, String(t.condition));
  assert.ok(side.events.some((e) => e.type === 'transport_error'));
  const last = out[out.length - 1]?.body;
  assert.ok(last instanceof Close, `the output ends with ${String((last as object)?.constructor?.name)}`);
  assert.equal(last.error?.condition, t.condition.name);
}

// ------------------------------------------------------------------------------------------------

/** Inputs per target; FUZZ_MUTATION_RUNS and FUZZ_RANDOM_RUNS raise them for a longer hunt. */
const MUTATION_RUNS = Number(process.env.FUZZ_MUTATION_RUNS ?? 400);
const RANDOM_RUNS = Number(process.env.FUZZ_RANDOM_RUNS ?? 150);

describe('transport fuzzing', () => {
  it('the corpus is real traffic: every seed decodes into frames', () => {
    assert.ok(corpus.size >= 8, `${corpus.size} seed files`);
    for (const seed of corpus.values()) {
      const units = decodeOutput(Buffer.concat(seed.units));
      assert.equal(units.length, seed.units.length, seed.name);
      assert.ok(units.filter((u) => u.body !== undefined).length >= 3, seed.name);
    }
    const amqp = decodeOutput(Buffer.concat(seeds('amqp.client')[0]!.units));
    assert.ok(amqp.filter((u) => u.body instanceof Transfer).length >= 8, 'transfers of many frames');
  });

  for (const target of TARGETS) {
    describe(target.name, () => {
      it('replays its seeds unchanged, whole, byte by byte and in frames', (t) => {
        const stats = newStats();
        for (const seed of target.seeds) {
          const input = Buffer.concat(seed.units);
          const sizes = seed.units.map((u) => u.length);
          for (const how of [[], [1], sizes]) {
            for (const eof of [false, true]) {
              const side = runInput(target, input, how, eof, stats);
              // Fed a frame at a time, the application answering between frames, as over a socket:
              // the seeds of this target's own protocol run to the peer's close.
              if (how === sizes && !eof && target.deep.includes(seed.name)) {
                assert.equal(
                  side.transport.condition,
                  undefined,
                  `${seed.name}: ${side.transport.condition}`,
                );
                assert.equal(
                  side.connection.remoteState,
                  State.REMOTE_CLOSED,
                  `${seed.name} ran to the close`,
                );
              }
            }
          }
        }
        t.diagnostic(report(stats));
        assert.equal(stats.executions, target.seeds.length * 6);
      });

      it('survives every truncation of its seeds at and around frame boundaries', (t) => {
        const stats = newStats();
        for (const seed of target.seeds) {
          const input = Buffer.concat(seed.units);
          const cuts = new Set<number>();
          let at = 0;
          for (const u of seed.units) {
            for (const d of [-3, -1, 0, 1, 4, 9]) cuts.add(Math.max(0, Math.min(input.length, at + d)));
            at += u.length;
          }
          for (const cut of cuts) {
            runInput(target, input.subarray(0, cut), [], true, stats);
            runInput(target, input.subarray(0, cut), [3, 1, 7], false, stats);
          }
        }
        t.diagnostic(report(stats));
        assert.ok(stats.executions > 50);
      });

      it('survives mutated traffic, fed whole and in chunks', (t) => {
        const stats = newStats();
        fc.assert(
          fc.property(
            fc.nat(target.seeds.length - 1),
            fc.array(mutationArb([]), { minLength: 1, maxLength: 6 }),
            chunkingArb,
            fc.boolean(),
            (s, mutations, how, eof) => {
              const other = (i: number) => target.seeds[i % target.seeds.length]!.units;
              const units = applyMutations(target.seeds[s]!.units, mutations, other);
              runInput(target, Buffer.concat(units), how, eof, stats);
            },
          ),
          { numRuns: MUTATION_RUNS, includeErrorInReport: true },
        );
        t.diagnostic(report(stats));
        assert.ok(stats.failed > 0 && stats.valid > 0, report(stats));
      });

      it('survives random bytes, alone and after a valid header', (t) => {
        const stats = newStats();
        const prefixes = [Buffer.alloc(0), target.header, Buffer.concat([target.header, open()])];
        fc.assert(
          fc.property(
            fc.nat(prefixes.length - 1),
            fc.uint8Array({ maxLength: 600 }),
            chunkingArb,
            fc.boolean(),
            (p, bytes, how, eof) => {
              runInput(target, Buffer.concat([prefixes[p]!, bytes]), how, eof, stats);
            },
          ),
          { numRuns: RANDOM_RUNS, includeErrorInReport: true },
        );
        t.diagnostic(report(stats));
      });
    });
  }

  describe('hostile limits', () => {
    it('a frame declaring 4 GiB is refused at once, with nothing allocated for it', () => {
      for (const server of [true, false]) {
        const side = server ? pair().server : pair().client;
        if (!server) side.connection.open();
        side.transport.takeOutput();
        const heap = process.memoryUsage().arrayBuffers;
        const out = pushAndRead(side, Buffer.concat([AMQP_HEADER, Buffer.from('ffffffff02000000', 'hex')]));
        assert.ok(process.memoryUsage().arrayBuffers - heap < 16 << 20, 'no buffer of the declared size');
        assertClosedWith(side, out, 'amqp:connection:framing-error');
      }
      // Declared in a first chunk of 4 bytes, the rest never sent.
      const side = pair().server;
      side.transport.push(AMQP_HEADER);
      side.transport.push(Buffer.from('ffffffff', 'hex'));
      respond(side);
      assertClosedWith(side, decodeOutput(side.transport.takeOutput()!), 'amqp:connection:framing-error');
      // Just above the max-frame-size this side advertised.
      const s2 = pair({ server: { maxFrameSize: 4096 } }).server;
      const big = Buffer.alloc(8);
      big.writeUInt32BE(4097, 0);
      big[4] = 2;
      assertClosedWith(
        s2,
        pushAndRead(s2, Buffer.concat([AMQP_HEADER, big])),
        'amqp:connection:framing-error',
      );
    });

    it('a list claiming 2^31 elements in 10 bytes inside a performative is a decode error', () => {
      // Each is the body of an open frame: the open's list, or its first field, claims 2^31 elements.
      const variants = {
        'the performative list (list32)': `005310d0${u32(10)}${u32(2 ** 31)}${'40'.repeat(6)}`,
        'a map32 field': `005310c01001d1${u32(10)}${u32(2 ** 31)}${'40'.repeat(6)}`,
        'a list32 field': `005310c01001d0${u32(10)}${u32(2 ** 31)}${'40'.repeat(6)}`,
        'an array32 of ulongs': `005310c01001f0${u32(10)}${u32(2 ** 31)}80${'00'.repeat(5)}`,
        'an array32 of nulls (zero width)': `005310c00b01f0${u32(5)}${u32(2 ** 31)}40`,
      };
      for (const [name, hexBody] of Object.entries(variants)) {
        const side = openServer();
        const started = performance.now();
        const out = pushAndRead(side, frame(Buffer.from(hexBody, 'hex')));
        assert.ok(performance.now() - started < 500, `${name}: bounded time`);
        assertClosedWith(side, out, /amqp:decode-error|amqp:connection:framing-error/);
      }
    });

    it('nesting 100,000 deep in a frame is refused, without a stack overflow', () => {
      const depth = 100_000;
      // Each nests as a value of the open's properties map, where any type may go.
      const inProperties = (value: Buffer) => {
        const map = Buffer.concat([
          Buffer.from(`d1${u32(4 + 3 + value.length)}${u32(2)}a3016b`, 'hex'),
          value,
        ]);
        return Buffer.concat([
          Buffer.from(`005310d0${u32(4 + 3 + 8 + map.length)}${u32(10)}a10163${'40'.repeat(8)}`, 'hex'),
          map,
        ]);
      };
      // Described values of described values: 00 53 01, three bytes a level.
      const described = inProperties(Buffer.from(`${'005301'.repeat(depth)}40`, 'hex'));
      // Lists of one list each, list32: nine bytes a level (900 kB, under the 1 MiB max-frame-size).
      const list = Buffer.alloc(depth * 9 + 1);
      for (let i = 0; i < depth; i++) {
        list[i * 9] = 0xd0;
        list.writeUInt32BE(list.length - i * 9 - 5, i * 9 + 1);
        list.writeUInt32BE(1, i * 9 + 5);
      }
      list[list.length - 1] = 0x40;
      const lists = inProperties(list);
      // Arrays of one array each, array32: f0 size count f0 size count ... 40, nine bytes a level.
      const array = Buffer.alloc(1 + (depth + 1) * 9);
      array[0] = 0xf0;
      for (let i = 0; i <= depth; i++) {
        const at = 1 + i * 9;
        array.writeUInt32BE(array.length - at - 4, at);
        array.writeUInt32BE(1, at + 4);
        array[at + 8] = i < depth ? 0xf0 : 0x40;
      }
      const arrays = inProperties(array);
      for (const [name, body] of Object.entries({ described, lists, arrays })) {
        const side = openServer();
        const started = performance.now();
        const out = pushAndRead(side, frame(body));
        assert.ok(performance.now() - started < 1000, `${name}: bounded time`);
        assertClosedWith(side, out, 'amqp:decode-error');
        assert.match(
          side.transport.condition!.description ?? '',
          /deeper|depth|nest/,
          `${name}: ${side.transport.condition}`,
        );
      }
    });

    it('65,536 channels begun: accepted up to channel-max, then a framing error', () => {
      const side = openServer();
      const begins: Buffer[] = [];
      for (let ch = 0; ch < 65536; ch++) begins.push(begin({}, ch));
      const started = performance.now();
      side.transport.push(Buffer.concat(begins));
      const ms = performance.now() - started;
      const t = side.transport;
      assert.equal(t.condition?.name, 'amqp:connection:framing-error', String(t.condition));
      assert.match(t.condition!.description ?? '', /channel 32768/);
      assert.equal(side.connection.sessions.length, 32768, 'sessions up to channel-max 32767');
      assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
      respond(side);
      assert.ok(decodeOutput(t.takeOutput()!).at(-1)?.body instanceof Close);
    });

    it('65,536 channels begun on a transport that allows them all', () => {
      const side = pair({ server: { channelMax: 65535 } }).server;
      side.transport.push(Buffer.concat([AMQP_HEADER, open()]));
      const begins: Buffer[] = [];
      for (let ch = 0; ch < 65536; ch++) begins.push(begin({}, ch));
      side.transport.push(Buffer.concat(begins));
      assert.equal(side.transport.condition, undefined, String(side.transport.condition));
      assert.equal(side.connection.sessions.length, 65536);
      // A 65,537th cannot exist: the channel is a ushort. Beginning channel 0 again is a framing error.
      side.transport.push(begin({}, 0));
      assert.equal(conditionOf(side)?.name, 'amqp:connection:framing-error');
    });

    it('handles beyond handle-max: an attach is refused, unattached handles are errors', () => {
      // The client advertises handle-max 3; the peer attaches handle 4.
      const c = pair().client;
      c.connection.open();
      const s = c.connection.session();
      s.handleMax = 3;
      s.open();
      const sent = decodeOutput(c.transport.takeOutput()!).find((u) => u.body instanceof Begin);
      assert.equal((sent?.body as Begin | undefined)?.handleMax, 3);
      const attach = (handle: number, name: string) =>
        frame(Object.assign(new Attach(), { name, handle, role: false, initialDeliveryCount: 0 }));
      const out = pushAndRead(
        c,
        Buffer.concat([
          AMQP_HEADER,
          open(),
          begin({ remoteChannel: 0 }),
          attach(3, 'ok'),
          attach(4, 'beyond'),
        ]),
      );
      assert.equal(s.links.length, 1, 'handle 3 attached');
      assertClosedWith(c, out, /amqp:connection:framing-error|amqp:session:errant-link|amqp:not-allowed/);
      // Handles never attached.
      for (const perf of [
        Object.assign(new Flow(), {
          handle: 9,
          incomingWindow: 10,
          nextOutgoingId: 0,
          outgoingWindow: 10,
          linkCredit: 1,
        }),
        Object.assign(new Transfer(), { handle: 9, deliveryId: 0, deliveryTag: Buffer.from('t') }),
      ]) {
        const side = openServer();
        side.transport.push(begin());
        respond(side);
        side.transport.takeOutput();
        assertClosedWith(side, pushAndRead(side, frame(perf)), 'amqp:session:unattached-handle');
      }
      // The largest handle the spec allows, with the default handle-max.
      const side = openServer();
      side.transport.push(begin());
      const out2 = pushAndRead(side, attach(0xffffffff, 'max'));
      assert.equal(side.transport.condition, undefined, String(side.transport.condition));
      assert.ok(
        out2.some((u) => u.body instanceof Attach),
        'attached back',
      );
    });

    it('an unbounded stream of empty frames is accepted with memory flat', () => {
      const side = openServer();
      const t = side.transport;
      const batch = Buffer.alloc(8 * 10_000);
      for (let i = 0; i < 10_000; i++) batch.write('0000000802000000', i * 8, 'hex');
      const measure = () => {
        for (let i = 0; i < 10; i++) {
          t.push(batch);
          respond(side);
        }
        return process.memoryUsage().heapUsed;
      };
      measure(); // warm up
      const before = measure();
      for (let round = 0; round < 8; round++) measure();
      const after = measure();
      assert.equal(t.condition, undefined);
      assert.equal(t.takeOutput(), undefined, 'nothing to answer');
      assert.ok(t.framesInput >= 1_000_000, `${t.framesInput} frames`);
      assert.ok(after - before < 32 << 20, `heap grew by ${((after - before) / 1e6).toFixed(1)} MB`);
      // And empty frames cut anywhere.
      for (let i = 0, k = 1; i < batch.length; i += k, k = (k % 13) + 1) t.push(batch.subarray(i, i + k));
      assert.equal(t.condition, undefined);
    });

    it('a server that keeps sending challenges: every client mechanism gives up at once', () => {
      const mechs: [string, PairOptions['clientSasl']][] = [
        ['ANONYMOUS', { allowedMechs: 'ANONYMOUS' }],
        ['PLAIN', CLIENT_SASL_PLAIN],
        ['EXTERNAL', { externalIdentity: true }],
        ['SCRAM-SHA-1', { user: 'u', password: 'p' }],
        ['SCRAM-SHA-256', { user: 'u', password: 'p' }],
        ['SCRAM-SHA-512', { user: 'u', password: 'p' }],
      ];
      for (const [mech, clientSasl] of mechs) {
        const c = pair({ clientSasl }).client;
        c.connection.open();
        c.transport.takeOutput();
        const mechanisms = Object.assign(new SaslMechanisms(), { saslServerMechanisms: [mech] });
        const challenge = frame(
          Object.assign(new SaslChallenge(), { challenge: Buffer.from('r=xyz,s=c2FsdA==,i=4096') }),
          0,
          1,
        );
        const flood = Buffer.concat([SASL_HEADER, frame(mechanisms, 0, 1), ...Array(1000).fill(challenge)]);
        c.transport.push(flood);
        respond(c);
        const out = decodeOutput(c.transport.takeOutput() ?? Buffer.alloc(0));
        const responses = out.filter((u) => u.body instanceof SaslResponse).length;
        assert.ok(responses <= 1, `${mech}: answered ${responses} challenges`);
        assert.equal(
          c.transport.condition?.name,
          'amqp:unauthorized-access',
          `${mech}: ${c.transport.condition}`,
        );
        assert.ok(c.events.some((e) => e.type === 'transport_error'));
        assert.equal(c.transport.closed, true);
      }
    });

    it('a client that keeps responding: every server mechanism ends the exchange at once', () => {
      const inits: [string, Buffer | undefined][] = [
        ['ANONYMOUS', Buffer.from('trace')],
        ['PLAIN', Buffer.from(`\0${PLAIN_USER}\0${PLAIN_PASSWORD}`)],
        ['PLAIN', Buffer.from('\0alice\0wrong')],
        ['SCRAM-SHA-256', Buffer.from('n,,n=alice,r=abcdefghijkl')],
        ['SCRAM-SHA-256', undefined],
      ];
      for (const [mech, initialResponse] of inits) {
        const s = saslServer();
        const init = frame(Object.assign(new SaslInit(), { mechanism: mech, initialResponse }), 0, 1);
        const response = frame(
          Object.assign(new SaslResponse(), { response: Buffer.from('c=biws,r=x,p=AAAA') }),
          0,
          1,
        );
        s.transport.push(Buffer.concat([init, ...Array(1000).fill(response)]));
        respond(s);
        const out = decodeOutput(s.transport.takeOutput() ?? Buffer.alloc(0));
        const challenges = out.filter((u) => u.body instanceof SaslChallenge).length;
        assert.ok(challenges <= 1, `${mech}: sent ${challenges} challenges`);
        assert.ok(s.transport.condition !== undefined, `${mech}: the server never gave up`);
        assert.ok(s.transport.tailClosed, `${mech}: still reading`);
        assert.ok(s.events.some((e) => e.type === 'transport_error'));
      }
      // A client that keeps sending sasl-init.
      const s = saslServer();
      const init = frame(
        Object.assign(new SaslInit(), {
          mechanism: 'SCRAM-SHA-256',
          initialResponse: Buffer.from('n,,n=alice,r=abc'),
        }),
        0,
        1,
      );
      s.transport.push(Buffer.concat(Array(1000).fill(init)));
      assert.equal(s.transport.condition?.name, 'amqp:connection:framing-error');
    });

    it('a client that sends its SASL header and sasl-init at once (not waiting for the mechanisms)', () => {
      const problems: string[] = [];
      for (const chunked of [false, true]) {
        const s = pair({ serverSasl: SERVER_SASL }).server;
        const init = frame(
          Object.assign(new SaslInit(), {
            mechanism: 'PLAIN',
            initialResponse: Buffer.from(`\0${PLAIN_USER}\0${PLAIN_PASSWORD}`),
          }),
          0,
          1,
        );
        const bytes = Buffer.concat([SASL_HEADER, init, AMQP_HEADER, open()]);
        if (chunked) for (let i = 0; i < bytes.length; i++) s.transport.push(bytes.subarray(i, i + 1));
        else s.transport.push(bytes);
        respond(s);
        const out = decodeOutput(s.transport.takeOutput() ?? Buffer.alloc(0));
        const t = s.transport;
        // Either served (a pipelining client is common enough) or refused in the protocol's terms.
        if (t.condition?.name === 'amqp:internal-error') {
          problems.push(`${chunked ? 'byte by byte' : 'in one push'}: ${t.condition}`);
        } else if (t.condition === undefined) {
          assert.equal(t.sasl?.user, PLAIN_USER);
          assert.ok(out.some((u) => u.body instanceof Open));
        } else {
          assert.ok(s.events.some((e) => e.type === 'transport_error'));
        }
      }
      assert.deepEqual(problems, []);
    });

    it('a client that fails in the push that brought its SASL outcome still closes with the condition', () => {
      // A server may send its outcome, its AMQP header and its open at once. Here a bad frame follows
      // (a begin answering a channel the client never began), in the same push.
      const c = pair({ clientSasl: CLIENT_SASL_PLAIN }).client;
      c.connection.open();
      const before = decodeOutput(c.transport.takeOutput()!);
      assert.ok(before[0]?.header?.equals(SASL_HEADER));
      const mechanisms = Object.assign(new SaslMechanisms(), { saslServerMechanisms: ['PLAIN'] });
      const outcome = Buffer.from('0000001002010000005344c003015000', 'hex'); // sasl-outcome ok
      c.transport.push(
        Buffer.concat([
          SASL_HEADER,
          frame(mechanisms, 0, 1),
          outcome,
          AMQP_HEADER,
          open(),
          begin({ remoteChannel: 5 }),
        ]),
      );
      respond(c);
      const t = c.transport;
      assert.equal(t.sasl?.succeeded, true);
      assert.equal(t.remoteOpened, true, 'the server opened: AMQP was reached');
      assert.equal(t.condition?.name, 'amqp:connection:framing-error');
      const out = decodeOutput(t.takeOutput() ?? Buffer.alloc(0));
      const shown = out.map((u) => (u.header ? 'header' : (u.body as object).constructor.name)).join(' ');
      assert.ok(
        out.some((u) => u.header?.equals(AMQP_HEADER)),
        `the client never sent its AMQP header, so the server is not told why: its output is ${shown}`,
      );
      assertClosedWith(c, out, 'amqp:connection:framing-error');
    });

    it('a SASL exchange the client never finishes is bounded only by the idle timeout', () => {
      // The server sent its challenge and waits: without an idle timeout it waits forever (as Proton);
      // with one, the silence ends the connection.
      const s = saslServer({ idleTimeout: 1000 });
      s.transport.tick(0);
      const init = frame(
        Object.assign(new SaslInit(), {
          mechanism: 'SCRAM-SHA-256',
          initialResponse: Buffer.from('n,,n=alice,r=abc'),
        }),
        0,
        1,
      );
      s.transport.push(init);
      s.transport.tick(10);
      const out = decodeOutput(s.transport.takeOutput()!);
      assert.ok(out.some((u) => u.body instanceof SaslChallenge));
      assert.equal(s.transport.condition, undefined);
      s.transport.tick(2000);
      respond(s);
      assert.equal(conditionOf(s)?.name, 'amqp:resource-limit-exceeded', String(conditionOf(s)));
      assert.ok(s.events.some((e) => e.type === 'transport_error'));
    });
  });
});

function report(s: RunStats): string {
  const conds = [...s.conditions].map(([k, v]) => `${k} ${v}`).join(', ');
  return `${s.executions} inputs (${s.bytes} bytes, ${s.pushes} pushes, slowest ${s.maxMs.toFixed(1)} ms): ${s.valid} valid, ${s.failed} closed [${conds}]`;
}
