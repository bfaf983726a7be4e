/** proton-ts: the Apache Qpid Proton messaging API for Node.js. This is the public API, and all of it. */
export * from './codec/index.js';
export * from './container/index.js';
export * from './engine/index.js';
export * from './errors.js';
export * from './handlers/index.js';
export * from './message/index.js';
export * from './promise/index.js';
export { scramCredentials } from './sasl/index.js';
export type { Logger } from './util/logger.js';
