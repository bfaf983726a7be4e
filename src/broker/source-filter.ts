/**
 * What a consumer's source filter asks of the broker: the JMS selector (`apache.org:selector-filter:string`,
 * by symbol or by code) is the one filter the broker applies; the others are ignored and not echoed.
 */
import { AmqpSymbol, type AmqpValue, Described, type Message, ULong } from '../index.js';
import { parseSelector, SELECTOR_FILTER, SELECTOR_FILTER_CODE } from './selector.js';

/** The selector a source asks for: its text, its test, and the filter entry to echo. */
export interface AppliedFilter {
  text: string;
  selects: (m: Message) => boolean;
  echo: Map<AmqpValue, AmqpValue>;
}

/**
 * The selector of a filter set; undefined when it has none. Throws the selector's parse error (a
 * `SelectorError`) for one that does not parse.
 */
export function selectorFilter(filter: Map<AmqpValue, AmqpValue> | undefined): AppliedFilter | undefined {
  let applied: AppliedFilter | undefined;
  for (const [key, value] of filter ?? []) {
    if (!(value instanceof Described)) continue;
    const d = value.descriptor;
    const isSelector =
      (d instanceof AmqpSymbol && d.value === SELECTOR_FILTER) ||
      (d instanceof ULong && d.value === SELECTOR_FILTER_CODE);
    if (!isSelector || typeof value.value !== 'string') continue;
    const s = parseSelector(value.value);
    // The filter is echoed back only when it is applied.
    applied = { text: value.value, selects: (m) => s.matches(m), echo: new Map([[key, value]]) };
  }
  return applied;
}
