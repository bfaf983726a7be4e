/** The Container and what goes with it: URLs, backoff, link options, events. */
export { Acceptor, type ListenOptions } from './acceptor.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { Container, type ContainerOptions, type LinkCreateOptions } from './container.js';
export { dispatch, type HandlerLike, methodName } from './dispatch.js';
export { Event } from './event.js';
export {
  ApplicationEvent,
  type ApplicationEventInit,
  EventInjector,
  type PortMessage,
} from './event-injector.js';
export {
  AtLeastOnce,
  AtMostOnce,
  Copy,
  DurableSubscription,
  DynamicNodeProperties,
  Filter,
  LinkOption,
  Move,
  ReceiverOption,
  Selector,
  SenderOption,
} from './link-options.js';
export type { ConnectOptions, TlsDomain } from './options.js';
export {
  SSLDomain,
  SSLException,
  type SSLMode,
  type SSLVerifyMode,
  type TlsInfo,
  tlsInfo,
} from './ssl-domain.js';
export { Task } from './task.js';
export {
  declareTransaction,
  LOCAL_TRANSACTIONS,
  Transaction,
  type TransactionPhase,
  TXN_CTRL,
} from './transaction.js';
export { Url } from './url.js';
