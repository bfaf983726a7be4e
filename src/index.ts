/** proton-ts: the Apache Qpid Proton messaging API for Node.js. This is the public API, and all of it. */
export * from './codec/index.js';
export type { Context } from './container/container.js';
export * from './container/index.js';
export type { UrlOptions } from './container/url.js';
export * from './engine/index.js';
export * from './errors.js';
export * from './handlers/index.js';
export * from './message/index.js';
export type { BlockingLinkOptions } from './promise/blocking.js';
export type { ConnectionEvents } from './promise/connection-handler.js';
export * from './promise/index.js';
export {
  type PlainAuthenticator,
  type ScramCredentialLookup,
  type ScramCredentials,
  type ScramCredentialsOptions,
  type ScramHash,
  type ScramMechanismName,
  scramCredentials,
} from './sasl/index.js';
export type { FrameTracer, Logger } from './util/logger.js';
