/** The embedded broker. */
export { Broker, type BrokerOptions } from './broker.js';
export { parseSelector, Selector, SelectorError } from './selector.js';
