/**
 * JMS message selectors for the embedded broker: the `apache.org:selector-filter:string` filter a
 * receiver puts on its source, to be given only the messages the selector matches.
 *
 * A selector is the SQL-92 conditional expression subset of JMS 2.0 section 3.8.1:
 *
 *     selector    := [ or ]                          (empty: every message matches)
 *     or          := and { OR and }
 *     and         := not { AND not }
 *     not         := NOT not | predicate
 *     predicate   := sum [ ( = | <> | < | <= | > | >= ) sum
 *                        | [NOT] BETWEEN sum AND sum
 *                        | [NOT] IN ( 'string' { , 'string' } )
 *                        | [NOT] LIKE 'pattern' [ ESCAPE 'c' ]
 *                        | IS [NOT] NULL ]
 *     sum         := product { ( + | - ) product }
 *     product     := unary { ( * | / ) unary }
 *     unary       := ( + | - ) unary | primary
 *     primary     := literal | name | ( or )
 *
 * Keywords are case-insensitive; names are case-sensitive Java identifiers, or any text in double
 * quotes (`"my-prop"`, `""` for a quote). Literals: `'text'` (`''` for a quote), whole numbers (a long,
 * with an optional `L`), decimals and exponents (`1.5`, `7.`, `.5`, `1e3`, `-57.9E2`, optional `F` or `D`:
 * a double), `TRUE`, `FALSE`. NULL is written only in `IS [NOT] NULL`.
 *
 * A name is an application property, or one of the JMS headers mapped to the AMQP fields: JMSMessageID
 * (id), JMSCorrelationID (correlationId), JMSPriority (priority), JMSDeliveryMode ('PERSISTENT' when
 * durable, else 'NON_PERSISTENT'), JMSTimestamp (creationTime), JMSExpiration (expiryTime), JMSType
 * (subject), JMSDestination (address), JMSReplyTo (replyTo), and the JMS-defined JMSXDeliveryCount
 * (deliveryCount + 1), JMSXGroupID (groupId), JMSXGroupSeq (groupSequence, when there is a group).
 *
 * Evaluation is SQL's three-valued logic: a missing property is NULL, and so is a value of a type
 * selectors do not handle (binary, uuid, timestamp, list, map...); a comparison or arithmetic with NULL is
 * unknown, as is a comparison of unlike types (a string with a number, a boolean ordered with `<`). A
 * message matches only when the selector is TRUE. Strings and booleans compare with `=` and `<>` only;
 * numbers of every AMQP type compare with each other (Java's numeric promotion). Kinds that are wrong
 * already in the text (`'a' + 1`, `x LIKE 5`, `1 AND x`) are syntax errors.
 *
 * Two choices where JMS 2.0 reads otherwise: a comparison of unlike types is unknown rather than false,
 * and arithmetic with NULL is NULL (SQL's rule) rather than making the whole selector false. Either way
 * such a message is not selected; the difference shows only under NOT, where unknown stays unknown.
 */
import { compile, type Evaluator, type SelectableMessage } from './selector-eval.js';
import { parseTree } from './selector-parser.js';

export type { SelectableMessage } from './selector-eval.js';
export { MAX_SELECTOR_BYTES, MAX_SELECTOR_DEPTH, SelectorError } from './selector-parser.js';

/** The name of the selector filter: the key of a source's filter map, and its descriptor. */
export const SELECTOR_FILTER = 'apache.org:selector-filter:string';
/** The numeric descriptor of the selector filter (0x0000468C:0x00000004). */
export const SELECTOR_FILTER_CODE = 0x0000468c00000004n;

/** A parsed message selector. */
export class Selector {
  /** The selector's text, as given. */
  readonly text: string;
  readonly #evaluate: Evaluator;

  /** Parses `text`; throws {@link SelectorError} when it is not a valid selector. */
  constructor(text: string) {
    const tree = parseTree(text);
    this.text = text;
    this.#evaluate = tree === null ? () => true : compile(tree);
  }

  /** Whether the message is selected: the selector is TRUE for it (not FALSE, not unknown). */
  matches(message: SelectableMessage): boolean {
    return this.#evaluate(message) === true;
  }

  /** The selector's three-valued truth for the message: true, false, or null for unknown. */
  evaluate(message: SelectableMessage): boolean | null {
    const v = this.#evaluate(message);
    return typeof v === 'boolean' ? v : null;
  }

  toString(): string {
    return this.text;
  }
}

/** Parses a JMS message selector. Throws {@link SelectorError} for a selector that is not valid. */
export function parseSelector(text: string): Selector {
  return new Selector(text);
}
