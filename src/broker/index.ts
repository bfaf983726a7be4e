/** The embedded broker. */
export { Broker, type BrokerOptions, DYNAMIC_PREFIX, type ShutdownOptions } from './broker.js';
export { type Durable, DurableSubscriptions } from './durable.js';
export { type BrokerLimits, DEFAULT_LIMITS } from './limits.js';
export { parseSelector, Selector, SelectorError } from './selector.js';
