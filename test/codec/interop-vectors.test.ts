/**
 * Proton's shared interop vectors (tests/interop/*.amqp) and the encoder examples of the Proton API
 * reference, as Proton 0.37 writes them (test/fixtures/proton-interop-vectors.json, made by
 * test/fixtures/proton/gen_interop_vectors.py): every file decodes to the documented values, type for
 * type, and re-encoding them with Proton 0.37's widths gives Proton's bytes back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type AmqpValue, Described, decode, decodeAll, encode, ULong } from '../../src/codec/index.js';
import { fromTypedJson, type TypedJson, toTypedJson } from '../support/typed-json.js';

interface InteropFile {
  file: string;
  hex: string;
  /** Data.encode() of the decoded values: the file itself, except for message.amqp (see the generator). */
  proton_reencoded_hex: string;
  values: TypedJson[];
}

interface Vector {
  name: string;
  hex: string;
  typed: TypedJson;
}

interface Fixture {
  proton: string;
  files: InteropFile[];
  vectors: Vector[];
}

// dist/test/codec/ -> the repository root.
const fixturePath = new URL('../../../test/fixtures/proton-interop-vectors.json', import.meta.url);
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;

const hexOf = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const bytesOf = (hex: string): Buffer => Buffer.from(hex, 'hex');

describe('Proton interop vectors (tests/interop/*.amqp)', () => {
  it('covers every file', () => {
    assert.equal(fixture.proton, '0.37.0');
    assert.deepEqual(
      fixture.files.map((f) => f.file),
      [
        'null.amqp',
        'primitives.amqp',
        'strings.amqp',
        'described.amqp',
        'described_array.amqp',
        'arrays.amqp',
        'lists.amqp',
        'maps.amqp',
        'message.amqp',
      ],
    );
  });

  for (const f of fixture.files) {
    describe(f.file, () => {
      it('decodes to the documented values, type for type', () => {
        const values = decodeAll(bytesOf(f.hex));
        assert.deepEqual(
          values.map((v) => toTypedJson(v)),
          f.values,
        );
      });

      it("re-encodes byte for byte as Proton 0.37's Data does", () => {
        const values = decodeAll(bytesOf(f.hex));
        const reencoded = Buffer.concat(values.map((v) => encode(v, { widths: 'proton-0.37' })));
        assert.equal(hexOf(reencoded), f.proton_reencoded_hex);
        if (f.file !== 'message.amqp') assert.equal(f.proton_reencoded_hex, f.hex);
      });

      it('encodes the documented values, built from scratch, to the same bytes', () => {
        const built = f.values.map((v) => fromTypedJson(v));
        const bytes = Buffer.concat(built.map((v) => encode(v, { widths: 'proton-0.37' })));
        assert.equal(hexOf(bytes), f.proton_reencoded_hex);
      });

      it('survives a compact round trip', () => {
        const values = decodeAll(bytesOf(f.hex));
        const compact = Buffer.concat(values.map((v) => encode(v)));
        assert.ok(compact.length <= f.hex.length / 2, 'the compact encoding is no longer than the file');
        assert.deepEqual(
          decodeAll(compact).map((v) => toTypedJson(v)),
          f.values,
        );
      });
    });
  }

  it('message.amqp holds a header, properties and an amqp-value of the encoded string "hello"', () => {
    const file = fixture.files.find((f) => f.file === 'message.amqp');
    assert.ok(file);
    const sections = decodeAll(bytesOf(file.hex));
    assert.equal(sections.length, 3);
    const descriptors: bigint[] = [];
    for (const section of sections) {
      assert.ok(section instanceof Described, 'each section is a described value');
      assert.ok(section.descriptor instanceof ULong, 'each section has a ulong descriptor');
      descriptors.push(section.descriptor.value);
    }
    assert.deepEqual(descriptors, [0x70n, 0x73n, 0x77n]);
    const [header, properties, body] = sections as Described[];
    assert.deepEqual(toTypedJson((header as Described).value), {
      t: 'list',
      v: [
        { t: 'boolean', v: false },
        { t: 'ubyte', v: 4 },
        { t: 'null' },
        { t: 'boolean', v: false },
        { t: 'uint', v: 0 },
      ],
    });
    const fields = (properties as Described).value;
    assert.ok(Array.isArray(fields));
    assert.equal(fields.length, 13);
    assert.deepEqual(fields[8], new Date(0));
    assert.deepEqual(fields[9], new Date(0));
    const content = (body as Described).value;
    assert.ok(content instanceof Uint8Array, 'the amqp-value section holds a binary');
    const inner: AmqpValue = decode(content);
    assert.equal(inner, 'hello');
  });
});

describe('encoder examples of the Proton API reference (section 1.1.3)', () => {
  for (const vector of fixture.vectors) {
    it(vector.name, () => {
      const bytes = bytesOf(vector.hex);
      assert.deepEqual(toTypedJson(decode(bytes)), vector.typed, 'decodes to the listed value');
      const value = fromTypedJson(vector.typed);
      assert.equal(hexOf(encode(value, { widths: 'proton-0.37' })), vector.hex, 'proton-0.37 widths');
      assert.deepEqual(toTypedJson(decode(encode(value))), vector.typed, 'compact round trip');
    });
  }
});
