/** The AMQP 1.0 type system: values, their encodings, and the composite types of the spec. */
export * from './composite-types.js';
export { decodeComposite, encodeComposite } from './composites.js';
export { type DecodeOptions, decode, decodeAll } from './decoder.js';
export { type EncodeOptions, encode } from './encoder.js';
export { amqpEquals } from './equals.js';
export { pythonRepr } from './python-repr.js';
export * from './types.js';
