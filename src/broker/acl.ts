/**
 * The broker's access control list: which addresses each user may send to and receive from. A text
 * file read once at start, one rule a line, `USER ACTION PATTERN`; blank lines and lines starting with
 * `#` are skipped.
 *
 * - USER is a user name as SASL authenticated it, or `*` for every user. A client that logged in with
 *   ANONYMOUS, or skipped SASL where the broker allows it, is the user `anonymous`. USER is everything
 *   before the last two fields, so a certificate subject with spaces (EXTERNAL) is written as it is.
 * - ACTION is `send` (attach a producer to the address, or relay a message to it through the anonymous
 *   relay), `receive` (attach a consumer to it, browsing included) or `both`.
 * - PATTERN is an address in which `*` matches any run of characters (none included) and `?` any one
 *   character; every other character matches itself. `*` alone matches every address.
 *
 * Rules only allow. Once a broker has an ACL, what no rule allows a user is refused: a link with
 * `amqp:unauthorized-access`, a relayed message rejected with it. Three things need no rule, because
 * they name no node a user could be kept from: a consumer asking for a dynamic source (the temporary
 * reply queue it is given is its own, so request and response work), a producer to the anonymous relay
 * (each of its messages is checked instead) and a transaction coordinator. Sending to a dynamic node, or
 * attaching to one by its address, is checked like any other address: `* send dynamic-*` lets every
 * user answer requests.
 */
import {
  Condition,
  type Connection,
  type Delivery,
  ErrorCondition,
  type Link,
  type Logger,
  Rejected,
  Sender,
} from '../index.js';
import { ConfigFileError, readConfigFile } from './config-file.js';

/** What a rule allows: sending to an address, or receiving from it. */
export type AclAction = 'send' | 'receive';

/** The user of a connection that did not log in with a name (ANONYMOUS, or SASL skipped). */
export const ANONYMOUS_USER = 'anonymous';

/** The USER of a rule for every user, anonymous included. */
const ANY_USER = '*';

/** An ACL file that cannot be read or parsed: the message names the file and the line. */
export class AclFileError extends ConfigFileError {}

/** One rule of the file. */
export interface AclRule {
  readonly user: string;
  readonly actions: readonly AclAction[];
  readonly pattern: string;
}

/** The ACTION words of a rule and what each allows. */
const ACTIONS: Readonly<Record<string, readonly AclAction[]>> = {
  send: ['send'],
  receive: ['receive'],
  both: ['send', 'receive'],
};

/** A pattern as a regular expression: `*` any run, `?` one character, the rest literal. */
function compile(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) =>
    c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : `\\${c}`,
  );
  return new RegExp(`^${body}$`, 'u');
}

interface Compiled {
  readonly rule: AclRule;
  readonly matches: RegExp;
}

/** The rules a broker enforces, by user. */
export class Acl {
  /** user (or `*`) -> its rules, in file order. */
  private readonly byUser = new Map<string, Compiled[]>();
  /** Every rule, in file order. */
  readonly rules: readonly AclRule[];

  private constructor(rules: AclRule[]) {
    this.rules = rules;
    for (const rule of rules) {
      let list = this.byUser.get(rule.user);
      if (list === undefined) {
        list = [];
        this.byUser.set(rule.user, list);
      }
      list.push({ rule, matches: compile(rule.pattern) });
    }
  }

  /**
   * Reads an ACL file.
   * @throws AclFileError when it cannot be read, or a line is not a rule.
   */
  static load(file: string): Acl {
    return Acl.parse(readConfigFile(file, AclFileError), file);
  }

  /**
   * Parses the text of an ACL file; `file` names it in errors.
   * @throws AclFileError naming the line that is not a rule.
   */
  static parse(text: string, file = 'ACL file'): Acl {
    const rules: AclRule[] = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      rules.push(parseRule(line, file, i + 1));
    }
    return new Acl(rules);
  }

  /** Builds an ACL from rules given in code (an embedded broker); checked as a file's would be. */
  static of(rules: readonly string[]): Acl {
    return Acl.parse(rules.join('\n'), 'ACL rules');
  }

  /** The number of rules. */
  get size(): number {
    return this.rules.length;
  }

  /** Whether `user` (undefined: the anonymous user) may do `action` on `address`. */
  allows(user: string | undefined, action: AclAction, address: string): boolean {
    const who = user ?? ANONYMOUS_USER;
    return [this.byUser.get(who), this.byUser.get(ANY_USER)].some(
      (list) => list?.some((c) => c.rule.actions.includes(action) && c.matches.test(address)) === true,
    );
  }
}

function parseRule(line: string, file: string, n: number): AclRule {
  // The last two fields are the action and the pattern; the user is the rest of the line as written
  // (inner spaces kept), for certificate subjects.
  const m = /^(.+?)\s+(\S+)\s+(\S+)$/u.exec(line);
  if (m === null) throw new AclFileError(`expected USER ACTION PATTERN, found '${line}'`, file, n);
  const [, user, action, pattern] = m as unknown as [string, string, string, string];
  const actions = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (actions === undefined) {
    throw new AclFileError(`unknown action '${action}' (send, receive or both)`, file, n);
  }
  return { user, actions, pattern };
}

/** The user a connection authenticated as (`anonymous` when it gave no name). */
export function userOf(connection: Connection): string {
  return connection.transport?.sasl?.user ?? ANONYMOUS_USER;
}

/** The condition of a refusal, naming the user, the action and the address. */
function denial(user: string, action: AclAction, address: string): Condition {
  const verb = action === 'send' ? 'send to' : 'receive from';
  return new Condition(ErrorCondition.unauthorizedAccess, `user '${user}' may not ${verb} '${address}'`);
}

/** Counts the refusals (the broker's stats). */
export interface DenialCounter {
  accessDenied: number;
}

/** The broker's side of the ACL: checks attaching links and relayed messages, logs and counts refusals. */
export class AccessGuard {
  constructor(
    readonly acl: Acl,
    private readonly logger: Logger,
    private readonly counter: DenialCounter,
  ) {}

  /** Why a link being attached is refused, or undefined when it may attach. */
  refusal(link: Link): Condition | undefined {
    let action: AclAction;
    let address: string | undefined;
    if (link instanceof Sender) {
      const source = link.remoteSource;
      // A dynamic source is a node made for this link alone.
      if (source === undefined || source.dynamic) return undefined;
      action = 'receive';
      address = source.address;
    } else {
      const target = link.remoteTarget;
      if (target === undefined || target.type === 'coordinator') return undefined;
      action = 'send';
      address = target.address; // none: the anonymous relay, checked message by message
    }
    if (address === undefined || address === '') return undefined;
    return this.check(userOf(link.connection), action, address);
  }

  /**
   * A message on an anonymous-relay link: when its user may not send to its `to` address, it is
   * rejected with `amqp:unauthorized-access` and settled here, and true returned.
   */
  refuseRelayed(delivery: Delivery, address: string | undefined): boolean {
    if (address === undefined) return false; // no address at all: the routing refuses it as not found
    const refused = this.check(userOf(delivery.link.connection), 'send', address);
    if (refused === undefined) return false;
    delivery.update(Object.assign(new Rejected(), { error: refused.toError() }));
    delivery.settle();
    return true;
  }

  private check(user: string, action: AclAction, address: string): Condition | undefined {
    if (this.acl.allows(user, action, address)) return undefined;
    const c = denial(user, action, address);
    this.counter.accessDenied++;
    this.logger.warn(`access denied: ${printable(c.description ?? '')}`);
    return c;
  }
}

/**
 * Text from a peer (a user name, an address) made safe for a one-line log: control characters are
 * escaped, so a name cannot forge log lines.
 */
export function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
