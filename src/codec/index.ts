/** The AMQP 1.0 type system: values, their encodings, and the composite types of the spec. */

export { ByteWriter } from './byte-writer.js';
export { type DecodeOptions, Decoder, decode, decodeAll } from './decoder.js';
export { type EncodeOptions, Encoder, encode } from './encoder.js';
export { amqpEquals } from './equals.js';
export { pythonRepr } from './python-repr.js';
export * from './types.js';
