/** The embedded broker. */
export { Acl, type AclAction, AclFileError, type AclRule, ANONYMOUS_USER } from './acl.js';
export {
  Broker,
  type BrokerOptions,
  type BrokerStats,
  DYNAMIC_PREFIX,
  type ShutdownOptions,
} from './broker.js';
export { type Durable, DurableSubscriptions } from './durable.js';
export { type BrokerLimits, DEFAULT_LIMITS } from './limits.js';
export { parseSelector, Selector, SelectorError } from './selector.js';
