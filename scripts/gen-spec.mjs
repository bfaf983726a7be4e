#!/usr/bin/env node
/**
 * Generates, from the machine-readable type definitions of the AMQP 1.0 specification (the *.bare.xml
 * files), two TypeScript modules:
 *
 *   src/codec/spec.ts             the declarative table of the described (composite and restricted) types;
 *   src/codec/composite-types.ts  one class per composite type (Open, Begin, ..., TransactionalState), whose
 *                                 instances the codec decodes to and encodes from.
 *
 * Usage: node scripts/gen-spec.mjs [--spec DIR] [--out FILE] [--types-out FILE] [--check]
 *
 *   --spec DIR         the directory holding types.bare.xml, transport.bare.xml, messaging.bare.xml,
 *                      security.bare.xml and transactions.bare.xml (default: <repo>/../shared/amqp-spec)
 *   --out FILE         where to write the table (default: <repo>/src/codec/spec.ts)
 *   --types-out FILE   where to write the classes (default: composite-types.ts in the directory of the
 *                      table, so <repo>/src/codec/composite-types.ts unless --out says otherwise)
 *   --check            write nothing; exit with status 1 if either file differs from what would be generated
 *
 * The output is deterministic and already in the project's formatting (biome: 2-space indent, single
 * quotes, trailing commas, 110 columns), so `npx biome check` accepts it as written.
 *
 * No dependencies: the XML files are small and regular, so a tiny tag scanner reads them, and it refuses
 * anything it does not expect (unknown elements or attributes, stray text, unbalanced tags) rather than
 * guessing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LINE_WIDTH = 110;

/** The spec parts holding described types, in the order they are emitted. */
const PARTS = ['transport', 'messaging', 'security', 'transactions'];

/** Integer primitives, with their ranges, for typing defaults and choice values. */
const INTEGER_RANGES = {
  ubyte: [0, 0xff],
  ushort: [0, 0xffff],
  uint: [0, 0xffffffff],
  ulong: [0, Number.MAX_SAFE_INTEGER],
  byte: [-0x80, 0x7f],
  short: [-0x8000, 0x7fff],
  int: [-0x80000000, 0x7fffffff],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** The elements and attributes the scanner accepts. */
const ALLOWED_ATTRIBUTES = {
  amqp: ['name', 'xmlns', 'label'],
  section: ['name', 'title', 'label'],
  type: ['name', 'class', 'source', 'provides', 'label'],
  descriptor: ['name', 'code'],
  field: ['name', 'type', 'mandatory', 'multiple', 'default', 'requires', 'label'],
  choice: ['name', 'value', 'label'],
  definition: ['name', 'value', 'label'],
  encoding: ['name', 'code', 'category', 'width', 'label'],
};

// ---------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = {
    spec: resolve(REPO, '..', 'shared', 'amqp-spec'),
    out: resolve(REPO, 'src', 'codec', 'spec.ts'),
    typesOut: undefined,
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) fail(`${name} needs a value`);
      return next;
    };
    switch (name) {
      case '--spec':
        options.spec = resolve(value());
        break;
      case '--out':
        options.out = resolve(value());
        break;
      case '--types-out':
        options.typesOut = resolve(value());
        break;
      case '--check':
        options.check = true;
        break;
      case '--help':
      case '-h':
        console.log(
          'usage: node scripts/gen-spec.mjs [--spec DIR] [--out FILE] [--types-out FILE] [--check]',
        );
        process.exit(0);
        break;
      default:
        fail(`unknown argument: ${arg}`);
    }
  }
  // Next to the table by default, so that a table written elsewhere never overwrites the real classes.
  options.typesOut ??= resolve(dirname(options.out), 'composite-types.ts');
  return options;
}

function fail(message) {
  console.error(`gen-spec: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------
// XML scanning
// ---------------------------------------------------------------------------------------------------------

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text, where) {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (match, entity) => {
    if (entity === undefined) throw new Error(`${where}: bare '&'`);
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const decoded = ENTITIES[entity];
    if (decoded === undefined) throw new Error(`${where}: unknown entity ${match}`);
    return decoded;
  });
}

/**
 * Parses one of the spec's XML files into a tree of `{ tag, attrs, children, line }`. Only elements with
 * attributes are expected: any text other than white space between tags is an error, as is a tag or an
 * attribute that the spec files are not known to use.
 */
function parseXml(text, file) {
  const root = { tag: '#document', attrs: {}, children: [], line: 1 };
  const stack = [root];
  let pos = 0;
  const lineAt = (offset) => text.slice(0, offset).split('\n').length;
  const where = (offset) => `${file}:${lineAt(offset)}`;

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const between = text.slice(pos, lt < 0 ? text.length : lt);
    if (between.trim() !== '') {
      throw new Error(`${where(pos)}: unexpected text ${JSON.stringify(between.trim())}`);
    }
    if (lt < 0) break;

    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) throw new Error(`${where(lt)}: unterminated comment`);
      pos = end + 3;
      continue;
    }
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) throw new Error(`${where(lt)}: unterminated processing instruction`);
      pos = end + 2;
      continue;
    }
    if (text.startsWith('<!', lt)) throw new Error(`${where(lt)}: DOCTYPE and CDATA are not supported`);

    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new Error(`${where(lt)}: unterminated tag`);
    const body = text.slice(lt + 1, gt);
    pos = gt + 1;

    if (body.startsWith('/')) {
      const tag = body.slice(1).trim();
      const open = stack.pop();
      if (stack.length === 0 || open.tag !== tag) {
        throw new Error(`${where(lt)}: </${tag}> does not close <${open?.tag}>`);
      }
      continue;
    }

    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const nameMatch = /^([A-Za-z_][\w.-]*)/.exec(inner);
    if (!nameMatch) throw new Error(`${where(lt)}: malformed tag <${body}>`);
    const tag = nameMatch[1];
    const allowed = ALLOWED_ATTRIBUTES[tag];
    if (!allowed) throw new Error(`${where(lt)}: unexpected element <${tag}>`);

    const attrs = {};
    const attrText = inner.slice(tag.length);
    const attrPattern = /\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
    let at = 0;
    while (at < attrText.length) {
      if (attrText.slice(at).trim() === '') break;
      attrPattern.lastIndex = at;
      const m = attrPattern.exec(attrText);
      if (!m) throw new Error(`${where(lt)}: malformed attributes in <${tag}${attrText}>`);
      const [, name, doubleQuoted, singleQuoted] = m;
      if (!allowed.includes(name)) throw new Error(`${where(lt)}: unexpected attribute ${name} on <${tag}>`);
      if (name in attrs) throw new Error(`${where(lt)}: duplicate attribute ${name} on <${tag}>`);
      attrs[name] = decodeEntities(doubleQuoted ?? singleQuoted, where(lt));
      at = attrPattern.lastIndex;
    }

    const element = { tag, attrs, children: [], line: lineAt(lt) };
    stack[stack.length - 1].children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (stack.length !== 1) throw new Error(`${file}: <${stack[stack.length - 1].tag}> is never closed`);
  const top = root.children;
  if (top.length !== 1 || top[0].tag !== 'amqp') throw new Error(`${file}: expected a single <amqp> root`);
  return top[0];
}

function* descendants(element, tag) {
  for (const child of element.children) {
    if (child.tag === tag) yield child;
    yield* descendants(child, tag);
  }
}

function required(element, attr, file) {
  const value = element.attrs[attr];
  if (value === undefined || value === '') {
    throw new Error(`${file}:${element.line}: <${element.tag}> lacks the ${attr} attribute`);
  }
  return value;
}

function flag(element, attr, file) {
  const value = element.attrs[attr];
  if (value === undefined) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`${file}:${element.line}: ${attr}="${value}" is not a boolean`);
}

// ---------------------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------------------

/** Reads every type of every part into one registry of raw definitions, in file order. */
function readSpec(specDir) {
  const types = new Map();
  const primitives = new Set();

  const load = (part) => {
    const file = `${part}.bare.xml`;
    let text;
    try {
      text = readFileSync(resolve(specDir, file), 'utf8');
    } catch (error) {
      throw new Error(`cannot read ${resolve(specDir, file)}: ${error.message}`);
    }
    const root = parseXml(text, file);
    if (root.attrs.name !== part) {
      throw new Error(`${file}: the root is named ${root.attrs.name}, not ${part}`);
    }
    return { root, file };
  };

  const typesXml = load('types');
  for (const type of descendants(typesXml.root, 'type')) {
    if (required(type, 'class', typesXml.file) !== 'primitive') {
      throw new Error(`${typesXml.file}:${type.line}: expected only primitive types`);
    }
    primitives.add(required(type, 'name', typesXml.file));
  }
  if (primitives.size === 0) throw new Error(`${typesXml.file}: no primitive types found`);

  for (const part of PARTS) {
    const { root, file } = load(part);
    for (const type of descendants(root, 'type')) {
      const name = required(type, 'name', file);
      const cls = required(type, 'class', file);
      if (cls !== 'composite' && cls !== 'restricted') {
        throw new Error(`${file}:${type.line}: ${name} has class ${cls}`);
      }
      if (types.has(name) || primitives.has(name)) {
        throw new Error(`${file}:${type.line}: ${name} is defined twice`);
      }

      const descriptors = type.children.filter((c) => c.tag === 'descriptor');
      const fields = type.children.filter((c) => c.tag === 'field');
      const choices = type.children.filter((c) => c.tag === 'choice');
      const other = type.children.find((c) => !['descriptor', 'field', 'choice'].includes(c.tag));
      if (other) throw new Error(`${file}:${other.line}: unexpected <${other.tag}> in ${name}`);
      if (descriptors.length > 1) throw new Error(`${file}:${type.line}: ${name} has several descriptors`);
      if (cls === 'composite' && descriptors.length === 0) {
        throw new Error(`${file}:${type.line}: composite ${name} has no descriptor`);
      }
      if (cls === 'restricted' && fields.length > 0) {
        throw new Error(`${file}:${type.line}: restricted ${name} has fields`);
      }
      if (cls === 'composite' && choices.length > 0) {
        throw new Error(`${file}:${type.line}: composite ${name} has choices`);
      }

      let descriptor;
      if (descriptors.length === 1) {
        const d = descriptors[0];
        const symbol = required(d, 'name', file);
        const code = required(d, 'code', file);
        const m = /^0x([0-9a-fA-F]{8}):0x([0-9a-fA-F]{8})$/.exec(code);
        if (!m) throw new Error(`${file}:${d.line}: malformed descriptor code ${code}`);
        if (Number.parseInt(m[1], 16) !== 0) {
          throw new Error(`${file}:${d.line}: ${name} has a non-zero domain`);
        }
        descriptor = { symbol, code: Number.parseInt(m[2], 16) };
      }

      const provides = (type.attrs.provides ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

      types.set(name, {
        name,
        class: cls,
        source: required(type, 'source', file),
        provides,
        part,
        file,
        line: type.line,
        descriptor,
        fields: fields.map((f) => ({
          name: required(f, 'name', file),
          type: required(f, 'type', file),
          requires: f.attrs.requires,
          mandatory: flag(f, 'mandatory', file),
          multiple: flag(f, 'multiple', file),
          default: f.attrs.default,
          line: f.line,
        })),
        choices: choices.map((c) => ({
          name: required(c, 'name', file),
          value: required(c, 'value', file),
          line: c.line,
        })),
      });
    }
  }
  return { types, primitives };
}

/**
 * Follows a type name through restricted types down to a primitive name, '*', or the name of a
 * described type (a composite, or a restricted type carrying a descriptor).
 * Returns `{ kind, composite?, chain }`, where chain lists the restricted types passed through.
 */
function resolveType(model, typeName, where) {
  const chain = [];
  let name = typeName;
  for (;;) {
    if (name === '*') return { kind: '*', chain };
    if (model.primitives.has(name)) return { kind: name, chain };
    const def = model.types.get(name);
    if (!def) throw new Error(`${where}: unknown type ${name}`);
    if (def.class === 'composite' || def.descriptor) {
      if (chain.length === 0) return { kind: 'composite', composite: name, chain };
      throw new Error(`${where}: restricted type ${chain.at(-1).name} has a described source ${name}`);
    }
    if (chain.includes(def)) throw new Error(`${where}: the restricted types around ${name} form a cycle`);
    chain.push(def);
    name = def.source;
  }
}

/** The source of a type definition, resolved to a primitive (or '*'). */
function resolveSource(model, def) {
  const where = `${def.file}:${def.line}`;
  if (def.class === 'composite') {
    if (def.source !== 'list') throw new Error(`${where}: composite ${def.name} has source ${def.source}`);
    return 'list';
  }
  const resolved = resolveType(model, def.source, where);
  if (resolved.kind === 'composite') throw new Error(`${where}: ${def.name} restricts a described type`);
  return resolved.kind;
}

/** Types the text of a choice value or a default by the primitive it belongs to. */
function typedLiteral(text, primitive, where) {
  if (primitive === 'boolean') {
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw new Error(`${where}: ${JSON.stringify(text)} is not a boolean`);
  }
  const range = INTEGER_RANGES[primitive];
  if (range) {
    let value;
    if (/^-?[0-9]+$/.test(text)) value = Number(text);
    else if (/^0x[0-9a-fA-F]+$/.test(text)) value = Number.parseInt(text.slice(2), 16);
    else throw new Error(`${where}: ${JSON.stringify(text)} is not an integer`);
    if (!Number.isSafeInteger(value) || value < range[0] || value > range[1]) {
      throw new Error(`${where}: ${text} is out of the range of ${primitive}`);
    }
    return value;
  }
  if (primitive === 'string' || primitive === 'symbol') return text;
  throw new Error(`${where}: cannot type the literal ${JSON.stringify(text)} as ${primitive}`);
}

function camelCase(name) {
  return name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** Builds the two tables from the raw definitions, checking them as it goes. */
function buildTables(model) {
  const composites = [];
  const restricted = [];
  const codes = new Map();
  const symbols = new Map();

  for (const def of model.types.values()) {
    const where = `${def.file}:${def.line}`;
    const source = resolveSource(model, def);

    if (!def.descriptor) {
      const choices = def.choices.map((c) => [
        c.name,
        typedLiteral(c.value, source, `${def.file}:${c.line}`),
      ]);
      const seen = new Set();
      for (const [name] of choices) {
        if (seen.has(name)) throw new Error(`${where}: ${def.name} has two choices named ${name}`);
        seen.add(name);
      }
      restricted.push({ name: def.name, source, provides: def.provides, choices });
      continue;
    }

    const { code, symbol } = def.descriptor;
    if (codes.has(code)) throw new Error(`${where}: ${def.name} reuses the code of ${codes.get(code)}`);
    if (symbols.has(symbol)) {
      throw new Error(`${where}: ${def.name} reuses the symbol of ${symbols.get(symbol)}`);
    }
    codes.set(code, def.name);
    symbols.set(symbol, def.name);

    const keys = new Set();
    const fields = def.fields.map((f) => {
      const fieldWhere = `${def.file}:${f.line}`;
      const resolved = resolveType(model, f.type, fieldWhere);
      const key = camelCase(f.name);
      if (!/^[a-z][A-Za-z0-9]*$/.test(key)) throw new Error(`${fieldWhere}: cannot make a key of ${f.name}`);
      if (keys.has(key)) throw new Error(`${fieldWhere}: ${def.name} has two fields keyed ${key}`);
      keys.add(key);

      const field = { name: f.name, key, type: f.type, kind: resolved.kind };
      if (resolved.composite !== undefined) field.composite = resolved.composite;
      if (f.requires !== undefined) field.requires = f.requires;
      field.mandatory = f.mandatory;
      field.multiple = f.multiple;
      if (f.default !== undefined) field.default = typedDefault(resolved, f, fieldWhere);
      return field;
    });

    composites.push({
      name: def.name,
      code,
      symbol,
      class: def.class,
      source,
      provides: def.provides,
      part: def.part,
      fields,
    });
  }
  return { composites, restricted };
}

/** A field's default, typed; the name of a choice becomes the choice's value. */
function typedDefault(resolved, field, where) {
  if (resolved.kind === '*' || resolved.kind === 'composite') {
    throw new Error(`${where}: ${field.name} has a default but no primitive type`);
  }
  for (const def of resolved.chain) {
    const choice = def.choices.find((c) => c.name === field.default);
    if (choice) return typedLiteral(choice.value, resolved.kind, where);
  }
  return typedLiteral(field.default, resolved.kind, where);
}

// ---------------------------------------------------------------------------------------------------------
// Printing, in biome's style
// ---------------------------------------------------------------------------------------------------------

/** An object literal that is always printed across lines (biome keeps an object so broken as it is). */
class Expanded {
  constructor(entries) {
    this.entries = entries;
  }
}

/** A number printed in hexadecimal. */
class Hex {
  constructor(n) {
    this.text = `0x${n.toString(16).padStart(2, '0')}`;
  }
}

const isObject = (v) =>
  v instanceof Expanded || (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Hex));
const entriesOf = (v) => (v instanceof Expanded ? v.entries : Object.entries(v));

function printString(s) {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function printKey(k) {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : printString(k);
}

function printScalar(v) {
  if (typeof v === 'string') return printString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Hex) return v.text;
  throw new Error(`cannot print ${String(v)}`);
}

/** The value on one line, or undefined when it must break whatever the width. */
function printFlat(v) {
  if (v instanceof Expanded) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (mustBreakArray(v)) return undefined;
    const parts = v.map(printFlat);
    return parts.includes(undefined) ? undefined : `[${parts.join(', ')}]`;
  }
  if (isObject(v)) {
    const entries = entriesOf(v);
    if (entries.length === 0) return '{}';
    const parts = entries.map(([k, x]) => {
      const flat = printFlat(x);
      return flat === undefined ? undefined : `${printKey(k)}: ${flat}`;
    });
    return parts.includes(undefined) ? undefined : `{ ${parts.join(', ')} }`;
  }
  return printScalar(v);
}

/** Biome, like Prettier, breaks an array of two or more objects (or arrays) with more than one member each. */
function mustBreakArray(v) {
  return (
    v.length > 1 &&
    (v.every((x) => isObject(x) && entriesOf(x).length > 1) ||
      v.every((x) => Array.isArray(x) && x.length > 1))
  );
}

/**
 * Prints a value that starts at column `column` (after whatever precedes it on its line, which is indented
 * by `indent`) and is followed on its line by `tail` characters.
 */
function print(v, indent, column, tail) {
  const flat = printFlat(v);
  if (flat !== undefined && column + flat.length + tail <= LINE_WIDTH) return flat;
  const pad = ' '.repeat(indent + 2);
  if (Array.isArray(v)) {
    const items = v.map((x) => `${pad}${print(x, indent + 2, indent + 2, 1)},\n`);
    return `[\n${items.join('')}${' '.repeat(indent)}]`;
  }
  if (isObject(v)) {
    const items = entriesOf(v).map(([k, x]) => {
      const key = `${printKey(k)}: `;
      return `${pad}${key}${print(x, indent + 2, indent + 2 + key.length, 1)},\n`;
    });
    return `{\n${items.join('')}${' '.repeat(indent)}}`;
  }
  return flat;
}

function render(tables) {
  const composites = tables.composites.map(
    (c) =>
      new Expanded([
        ['name', c.name],
        ['code', new Hex(c.code)],
        ['symbol', c.symbol],
        ['class', c.class],
        ['source', c.source],
        ['provides', c.provides],
        ['part', c.part],
        ['fields', c.fields.map((f) => new Expanded(Object.entries(f)))],
      ]),
  );
  const restricted = Object.fromEntries(
    tables.restricted.map((r) => [
      r.name,
      new Expanded([
        ['name', r.name],
        ['source', r.source],
        ['provides', r.provides],
        ['choices', Object.fromEntries(r.choices)],
      ]),
    ]),
  );
  return `// Generated by scripts/gen-spec.mjs from the AMQP 1.0 XML type definitions
// (${['types', ...PARTS].map((p) => `${p}.bare.xml`).join(', ')}).
// Do not edit by hand: change the generator and run \`npm run gen:spec\`.
import type { AmqpTypeName } from './types.js';

/** A field of a composite type, in wire order. */
export interface FieldSpec {
  /** The spec's name, e.g. 'max-frame-size'. */
  readonly name: string;
  /** The camelCase property name used in JavaScript, e.g. 'maxFrameSize'. */
  readonly key: string;
  /** The type as the spec writes it: 'milliseconds', 'fields', '*', 'error', 'uint'. */
  readonly type: string;
  /**
   * What the type resolves to: a primitive AmqpTypeName after following restricted types to their source;
   * '*' for any type; 'composite' when the type names a composite (e.g. 'error').
   */
  readonly kind: AmqpTypeName | '*' | 'composite';
  /** For kind 'composite': the composite's name, e.g. 'error'. */
  readonly composite?: string;
  /** The spec's requires attribute, e.g. 'source', 'delivery-state', 'message-id', 'error-condition'. */
  readonly requires?: string;
  readonly mandatory: boolean;
  readonly multiple: boolean;
  /**
   * The default, typed: boolean for booleans, number for integer types, the choice's value when the spec
   * names a choice (snd-settle-mode 'mixed' -> 2, durable 'none' -> 0, expiry-policy 'session-end' ->
   * 'session-end').
   */
  readonly default?: boolean | number | string;
}

/**
 * A described type of the spec: a composite (a described list) or a restricted type with a descriptor (a
 * section such as application-properties or data).
 */
export interface CompositeSpec {
  /** The spec's name, e.g. 'open', 'application-properties'. */
  readonly name: string;
  /** The low 32 bits of the descriptor code (the domain is 0 for all of AMQP 1.0), e.g. 0x10. */
  readonly code: number;
  /** The descriptor symbol, e.g. 'amqp:open:list'. */
  readonly symbol: string;
  /** 'composite' or 'restricted' (the spec's class attribute). */
  readonly class: 'composite' | 'restricted';
  /**
   * The source type: 'list' for composites; for restricted described types the resolved primitive ('map'
   * for annotations/application-properties/footer, 'binary' for data, 'list' for amqp-sequence, '*' for
   * amqp-value).
   */
  readonly source: AmqpTypeName | '*';
  /** The spec's provides attribute, split: ['frame'], ['delivery-state', 'outcome'], ['section'], []. */
  readonly provides: readonly string[];
  /** Which spec file: 'transport' | 'messaging' | 'security' | 'transactions'. */
  readonly part: 'transport' | 'messaging' | 'security' | 'transactions';
  /** Fields in wire order (empty for restricted types). */
  readonly fields: readonly FieldSpec[];
}

/** Every described type of the spec, in spec file order. */
export const COMPOSITES: readonly CompositeSpec[] = ${print(composites, 0, 52, 1)};

/** A restricted (non-described) type: its resolved primitive source and its named choices, if any. */
export interface RestrictedSpec {
  readonly name: string;
  readonly source: AmqpTypeName | '*';
  readonly provides: readonly string[];
  readonly choices: Readonly<Record<string, number | string | boolean>>;
}

/**
 * Every restricted type without a descriptor, keyed by name, in spec file order. Choice values are typed by
 * the source: role has sender = false and receiver = true, sasl-code has ok = 0, amqp-error has
 * internal-error = 'amqp:internal-error'.
 */
export const RESTRICTED: Readonly<Record<string, RestrictedSpec>> = ${print(restricted, 0, 68, 1)};
`;
}

// ---------------------------------------------------------------------------------------------------------
// The classes of composite-types.ts
// ---------------------------------------------------------------------------------------------------------

/** Class names that would shadow a global of JavaScript, and what to call them instead. */
const CLASS_RENAMES = { error: 'AmqpError' };
const RESERVED_NAMES = new Set([
  'Array',
  'Date',
  'Error',
  'Map',
  'Object',
  'Promise',
  'Set',
  'String',
  'Symbol',
]);

/** Names for the unions of the classes providing a requirement, where PascalCase is not the best name. */
const UNION_NAMES = { frame: 'Performative' };

/** The noun for a class in its TSDoc, by the first of its provides that has one. */
const NOUNS = [
  ['frame', 'performative'],
  ['sasl-frame', 'SASL frame'],
  ['section', 'section'],
  ['outcome', 'outcome'],
  ['delivery-state', 'delivery state'],
  ['lifetime-policy', 'lifetime policy'],
];

/**
 * What each composite is in Proton Python 0.37, added to its class's TSDoc. Only names Proton Python
 * really exposes (checked against the installed `proton` package); a type it has no class for says so.
 */
const PROTON_CLASSES = {
  open: 'Proton Python has no class for it: `Connection.open()` sends it, from `Connection` and `Transport` settings.',
  begin: 'Proton Python: sent by `Session.open()`.',
  attach: 'Proton Python: sent by `Link.open()`; its fields are `Link` and `Terminus` settings.',
  flow: 'Proton Python: sent by `Receiver.flow()`, `Receiver.drain()` and `Sender.offered()`.',
  transfer: 'Proton Python: a `Delivery` on the wire, sent by `Sender.send()` or `Sender.stream()`.',
  disposition:
    'Proton Python: sent by `Delivery.update()` and `Delivery.settle()`; read as `Delivery.remote`.',
  detach: 'Proton Python: sent by `Link.close()` (closed) or `Link.detach()`.',
  end: 'Proton Python: sent by `Session.close()`.',
  close: 'Proton Python: sent by `Connection.close()`.',
  error: 'Proton Python: `proton.Condition`.',
  header: 'Proton Python: header fields of `proton.Message`.',
  properties: 'Proton Python: properties fields of `proton.Message`.',
  received: 'Proton Python: a `Disposition` of type `Disposition.RECEIVED`.',
  accepted: 'Proton Python: `Disposition.ACCEPTED`.',
  rejected: 'Proton Python: `Disposition.REJECTED`.',
  released: 'Proton Python: `Disposition.RELEASED`.',
  modified: 'Proton Python: `Disposition.MODIFIED`.',
  source: 'Proton Python: a `Terminus` of type `Terminus.SOURCE` (`Link.source`, `Link.remote_source`).',
  target: 'Proton Python: a `Terminus` of type `Terminus.TARGET` (`Link.target`, `Link.remote_target`).',
  'delete-on-close':
    'Proton Python has no class for it: it goes in `Terminus.properties` under the `lifetime-policy` key.',
  'delete-on-no-links':
    'Proton Python has no class for it: it goes in `Terminus.properties` under the `lifetime-policy` key.',
  'delete-on-no-messages':
    'Proton Python has no class for it: it goes in `Terminus.properties` under the `lifetime-policy` key.',
  'delete-on-no-links-or-messages':
    'Proton Python has no class for it: it goes in `Terminus.properties` under the `lifetime-policy` key.',
  'sasl-mechanisms': 'Proton Python: exchanged inside `proton.SASL` (`Transport.sasl()`).',
  'sasl-init': 'Proton Python: exchanged inside `proton.SASL` (`Transport.sasl()`).',
  'sasl-challenge': 'Proton Python: exchanged inside `proton.SASL`, which does not expose it.',
  'sasl-response': 'Proton Python: exchanged inside `proton.SASL`, which does not expose it.',
  'sasl-outcome': 'Proton Python: exchanged inside `proton.SASL` (`Transport.sasl()`).',
  coordinator:
    'Proton Python: a `Terminus` of type `Terminus.COORDINATOR`, the target `Container.declare_transaction()` attaches to.',
  declare: 'Proton Python: sent by `Transaction.declare()` (`proton.reactor`).',
  discharge: 'Proton Python: sent by `Transaction.commit()` and `Transaction.abort()` (`proton.reactor`).',
  declared: 'Proton Python: read by `Transaction` as `Delivery.remote.data`, a one-element list.',
  'transactional-state':
    'Proton Python: `Delivery.update(0x34)` with `Disposition.data` set to `[txn_id]` by `Transaction.send()`, or to `[txn_id, outcome]` by `Transaction.update()`.',
};

/**
 * The Proton Python 0.37 name of each field that has one, keyed `type.field`; a field not listed has none
 * (Proton keeps it inside the engine). Units are noted where Proton's differ from the wire's.
 */
const PROTON_FIELDS = {
  'open.container-id': "`Connection.container` (the peer's: `Connection.remote_container`)",
  'open.hostname': '`Connection.hostname`',
  'open.max-frame-size': '`Transport.max_frame_size`',
  'open.channel-max': '`Transport.channel_max`',
  'open.idle-time-out': '`Transport.idle_timeout` (in seconds)',
  'open.offered-capabilities': '`Connection.offered_capabilities`',
  'open.desired-capabilities': '`Connection.desired_capabilities`',
  'open.properties': '`Connection.properties`',
  'begin.incoming-window': 'derived from `Session.incoming_capacity` (bytes)',
  'begin.outgoing-window': '`Session.outgoing_window`',
  'attach.name': '`Link.name`',
  'attach.role': '`Link.is_sender`, `Link.is_receiver`',
  'attach.snd-settle-mode': '`Link.snd_settle_mode` (`Link.SND_MIXED`...)',
  'attach.rcv-settle-mode': '`Link.rcv_settle_mode` (`Link.RCV_FIRST`...)',
  'attach.source': '`Link.source`, `Link.remote_source`',
  'attach.target': '`Link.target`, `Link.remote_target`',
  'attach.max-message-size': '`Link.max_message_size` (0 for none)',
  'attach.properties': '`Link.properties`',
  'flow.incoming-window': 'derived from `Session.incoming_capacity` (bytes)',
  'flow.outgoing-window': '`Session.outgoing_window`',
  'flow.link-credit': '`Link.credit`, granted by `Receiver.flow()`',
  'flow.available': '`Link.available`, set by `Sender.offered()`',
  'flow.drain': '`Link.drain_mode`, `Receiver.drain()`',
  'transfer.delivery-tag': '`Delivery.tag`',
  'transfer.settled': '`Delivery.settled` on the receiving side',
  'transfer.more': '`Delivery.partial` on the receiving side',
  'transfer.aborted': '`Delivery.aborted`, `Delivery.abort()`',
  'disposition.settled': "`Delivery.settled` (the peer's), `Delivery.settle()` (ours)",
  'disposition.state': '`Delivery.remote` and `Delivery.remote_state`; set by `Delivery.update()`',
  'detach.closed': 'true from `Link.close()`, false from `Link.detach()`',
  'detach.error': '`Link.condition`, `Link.remote_condition`',
  'end.error': '`Session.condition`, `Session.remote_condition`',
  'close.error': '`Connection.condition`, `Connection.remote_condition`',
  'error.condition': '`Condition.name`',
  'error.description': '`Condition.description`',
  'error.info': '`Condition.info`',
  'header.durable': '`Message.durable`',
  'header.priority': '`Message.priority` (default 4)',
  'header.ttl': '`Message.ttl` (in seconds)',
  'header.first-acquirer': '`Message.first_acquirer`',
  'header.delivery-count': '`Message.delivery_count`',
  'properties.message-id': '`Message.id`',
  'properties.user-id': '`Message.user_id`',
  'properties.to': '`Message.address`',
  'properties.subject': '`Message.subject`',
  'properties.reply-to': '`Message.reply_to`',
  'properties.correlation-id': '`Message.correlation_id`',
  'properties.content-type': '`Message.content_type`',
  'properties.content-encoding': '`Message.content_encoding`',
  'properties.absolute-expiry-time': '`Message.expiry_time` (in seconds)',
  'properties.creation-time': '`Message.creation_time` (in seconds)',
  'properties.group-id': '`Message.group_id`',
  'properties.group-sequence': '`Message.group_sequence`',
  'properties.reply-to-group-id': '`Message.reply_to_group_id`',
  'received.section-number': '`Disposition.section_number`',
  'received.section-offset': '`Disposition.section_offset`',
  'rejected.error': '`Disposition.condition`',
  'modified.delivery-failed': '`Disposition.failed`',
  'modified.undeliverable-here': '`Disposition.undeliverable`',
  'modified.message-annotations': '`Disposition.annotations`',
  'source.address': '`Terminus.address`',
  'source.durable': '`Terminus.durability` (`Terminus.NONDURABLE`...)',
  'source.expiry-policy': '`Terminus.expiry_policy` (`Terminus.EXPIRE_WITH_SESSION`...)',
  'source.timeout': '`Terminus.timeout`',
  'source.dynamic': '`Terminus.dynamic`',
  'source.dynamic-node-properties': '`Terminus.properties`',
  'source.distribution-mode': '`Terminus.distribution_mode` (the `Copy` and `Move` link options)',
  'source.filter': '`Terminus.filter` (the `Filter` and `Selector` link options)',
  'source.outcomes': '`Terminus.outcomes`',
  'source.capabilities': '`Terminus.capabilities`',
  'target.address': '`Terminus.address`',
  'target.durable': '`Terminus.durability` (`Terminus.NONDURABLE`...)',
  'target.expiry-policy': '`Terminus.expiry_policy` (`Terminus.EXPIRE_WITH_SESSION`...)',
  'target.timeout': '`Terminus.timeout`',
  'target.dynamic': '`Terminus.dynamic`',
  'target.dynamic-node-properties': '`Terminus.properties`',
  'target.capabilities': '`Terminus.capabilities`',
  'sasl-mechanisms.sasl-server-mechanisms': 'limited by `SASL.allowed_mechs()` on the server',
  'sasl-init.mechanism': '`SASL.mech`; the client picks among `SASL.allowed_mechs()`',
  'sasl-outcome.code': '`SASL.outcome` (`SASL.OK`, `SASL.AUTH`...)',
  'coordinator.capabilities': '`Terminus.capabilities`',
  'discharge.txn-id': '`Transaction.id`',
  'discharge.fail': '`Transaction.failed`: true from `Transaction.abort()`, false from `commit()`',
  'declared.txn-id': '`Transaction.id`',
  'transactional-state.txn-id': '`Transaction.id`',
  'transactional-state.outcome': 'the state given to `Transaction.update()` or `Transaction.accept()`',
};

/** What each union of classes is in Proton Python, added to its TSDoc. */
const PROTON_UNIONS = {
  frame: 'Proton Python has no class for them: the engine sends them for `Connection`, `Session` and `Link`.',
  'delivery-state':
    'Proton Python tells them apart by `Disposition.type`: a `DispositionType`, or a plain int such as 0x34.',
  outcome:
    'Proton Python: the `Disposition` types `ACCEPTED`, `REJECTED`, `RELEASED` and `MODIFIED`; declared is read from `Disposition.data`.',
  'lifetime-policy': 'Proton Python has no class for them; they go in `Terminus.properties`.',
  'sasl-frame': 'Proton Python keeps them inside `proton.SASL`.',
};

/** The spec's maps keyed by symbols: the decoder gives their keys as strings, the encoder takes plain objects. */
const SYMBOL_KEYED = new Set(['fields', 'filter-set', 'node-properties', 'annotations']);
const SYMBOL_KEYED_MAP = 'SymbolKeyedMap';

/** The TypeScript type of each primitive, as the decoder gives a field of that kind and the encoder takes it. */
const KIND_TYPES = {
  null: 'null',
  boolean: 'boolean',
  ubyte: 'number',
  ushort: 'number',
  uint: 'number',
  ulong: 'number | bigint',
  byte: 'number',
  short: 'number',
  int: 'number',
  long: 'number | bigint',
  float: 'number',
  double: 'number',
  decimal32: 'Decimal32',
  decimal64: 'Decimal64',
  decimal128: 'Decimal128',
  char: 'string',
  timestamp: 'number | bigint',
  uuid: 'Uuid',
  binary: 'Uint8Array',
  string: 'string',
  symbol: 'string',
  list: 'AmqpValue[]',
  map: 'Map<AmqpValue, AmqpValue>',
  array: 'AmqpArray',
};

function pascalCase(name) {
  const key = camelCase(name);
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/** Orders names as biome's import sorting does: digit runs by value, then by code unit. */
function naturalCompare(a, b) {
  const split = (s) => s.split(/(\d+)/).map((part, i) => (i % 2 ? Number(part) : part));
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    if (typeof pa[i] === 'number' && typeof pb[i] === 'number') return pa[i] - pb[i];
    return String(pa[i]) < String(pb[i]) ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** A default for a TSDoc: the literal, and the name of the choice the spec wrote when it wrote one. */
function printDefault(value, written) {
  const literal = printScalar(value);
  return written !== undefined && written !== String(value) ? `${literal} (\`${written}\`)` : literal;
}

/**
 * Builds the model of composite-types.ts: a class per composite, the unions of the classes providing each
 * requirement, and the TypeScript type of every field.
 */
function buildClasses(model, tables) {
  const composites = tables.composites.filter((c) => c.class === 'composite');
  const classNames = new Map();
  const taken = new Set([SYMBOL_KEYED_MAP, ...Object.values(KIND_TYPES), 'AmqpValue']);
  for (const c of composites) {
    const className = CLASS_RENAMES[c.name] ?? pascalCase(c.name);
    if (RESERVED_NAMES.has(className) || taken.has(className)) {
      throw new Error(`the class of ${c.name} would be named ${className}, which is taken`);
    }
    taken.add(className);
    classNames.set(c.name, className);
  }

  // Who provides what: the classes, and whether anything that is not a class provides it too.
  const providers = new Map();
  const provider = (requirement) => {
    if (!providers.has(requirement)) providers.set(requirement, { classes: [], others: false });
    return providers.get(requirement);
  };
  for (const c of tables.composites) {
    for (const p of c.provides) {
      if (c.class === 'composite') provider(p).classes.push(classNames.get(c.name));
      else provider(p).others = true;
    }
  }
  for (const r of tables.restricted) for (const p of r.provides) provider(p).others = true;

  // A named union for each requirement that only classes provide, unless its name is a class's.
  const unions = [];
  const unionOf = new Map();
  for (const [requirement, { classes, others }] of providers) {
    if (others || classes.length === 0) continue;
    const name = UNION_NAMES[requirement] ?? pascalCase(requirement);
    if (taken.has(name) || RESERVED_NAMES.has(name)) continue;
    taken.add(name);
    unions.push({ name, requirement, classes });
    unionOf.set(requirement, name);
  }

  const imports = new Set(['AmqpValue']);
  const typeOf = (c, f) => {
    let single;
    if (f.kind === 'composite') {
      single = classNames.get(f.composite);
      if (single === undefined) {
        throw new Error(`${c.name}.${f.name}: ${f.composite} is not a composite class`);
      }
    } else if (f.kind === '*') {
      const named = f.requires === undefined ? undefined : unionOf.get(f.requires);
      const classes = f.requires === undefined ? [] : (providers.get(f.requires)?.classes ?? []);
      single = [...(named === undefined ? classes : [named]), 'AmqpValue'].join(' | ');
    } else if (f.kind === 'map' && SYMBOL_KEYED.has(f.type)) {
      single = SYMBOL_KEYED_MAP;
    } else {
      single = KIND_TYPES[f.kind];
      if (single === undefined) throw new Error(`${c.name}.${f.name}: no TypeScript type for ${f.kind}`);
      for (const name of single.split(/[^A-Za-z0-9]+/)) {
        if (/^[A-Z]/.test(name) && !['Map', 'Uint8Array'].includes(name)) imports.add(name);
      }
    }
    if (!f.multiple) return single;
    return single.includes(' | ') ? `(${single})[]` : `${single}[]`;
  };

  // A Proton name keyed by a misspelt type or field would silently document nothing: refuse it instead. Types
  // the spec read here lacks are skipped, and class names checked only against the full spec (the one with
  // `open`), so that a partial spec, such as a test's, still generates.
  for (const key of Object.keys(PROTON_FIELDS)) {
    const [type, field] = key.split('.');
    const c = composites.find((x) => x.name === type);
    if (c && !c.fields.some((f) => f.name === field)) {
      throw new Error(`PROTON_FIELDS: ${type} has no field ${field}`);
    }
  }
  for (const name of Object.keys(PROTON_CLASSES)) {
    if (model.types.has('open') && !model.types.has(name)) {
      throw new Error(`PROTON_CLASSES: the spec has no type ${name}`);
    }
  }

  const classes = composites.map((c) => {
    const def = model.types.get(c.name);
    const nouns = NOUNS.filter(([p]) => c.provides.includes(p)).map(([, noun]) => noun);
    return {
      name: c.name,
      className: classNames.get(c.name),
      code: c.code,
      symbol: c.symbol,
      noun: nouns[0] ?? 'type',
      fields: c.fields.map((f, i) => {
        const written = def.fields[i].default;
        const notes = [f.type];
        if (f.requires !== undefined) notes.push(`requires ${f.requires}`);
        if (f.multiple) notes.push('multiple');
        if (f.mandatory) notes.push('mandatory');
        const proton = PROTON_FIELDS[`${c.name}.${f.name}`];
        return {
          name: f.name,
          key: f.key,
          mandatory: f.mandatory,
          type: typeOf(c, f),
          doc: `AMQP: \`${c.name}.${f.name}\` (${notes.join(', ')}).${proton ? ` Proton Python: ${proton}.` : ''}`,
          default: f.default === undefined ? undefined : printDefault(f.default, written),
        };
      }),
    };
  });
  return { classes, unions, imports: [...imports].sort(naturalCompare) };
}

/**
 * A TSDoc comment at `indent`: on one line when it fits, else wrapped between words (never inside a code span),
 * with the `@default` tag, if any, on a line of its own.
 */
function printDoc(indent, text, defaultText) {
  const single = `${indent}/** ${text}${defaultText === undefined ? '' : ` @default ${defaultText}`} */`;
  if (single.length <= LINE_WIDTH) return single;
  const lines = [`${indent}/**`];
  const empty = `${indent} *`;
  let line = empty;
  for (const word of text.match(/(?:`[^`]*`|[^\s`])+/g)) {
    if (line !== empty && line.length + 1 + word.length > LINE_WIDTH) {
      lines.push(line);
      line = empty;
    }
    line += ` ${word}`;
  }
  lines.push(line);
  if (defaultText !== undefined) lines.push(`${indent} * @default ${defaultText}`);
  lines.push(`${indent} */`);
  return lines.join('\n');
}

/** A declaration `head` followed by a union of `members`, broken one member a line if it is too long. */
function printUnion(head, members, tail) {
  const flat = `${head} ${members.join(' | ')}${tail}`;
  if (flat.length <= LINE_WIDTH) return flat;
  return `${head}\n${members.map((m) => `  | ${m}`).join('\n')}${tail}`;
}

function renderTypes(model, tables) {
  const { classes, unions, imports } = buildClasses(model, tables);
  const out = [];
  out.push(`// Generated by scripts/gen-spec.mjs from the AMQP 1.0 XML type definitions
// (${['types', ...PARTS].map((p) => `${p}.bare.xml`).join(', ')}).
// Do not edit by hand: change the generator and run \`npm run gen:spec\`.
/**
 * One class per composite type of the spec, in spec file order: the performatives, the SASL frames, the
 * message header and properties, the delivery states and outcomes, the termini, the lifetime policies and
 * the transaction types. The codec decodes a composite to an instance of its class, and encodes an instance
 * of a class as that composite: a plain object is not taken for one. So that the compiler agrees, each class
 * declares a private \`brand\`, a declaration only (it exists at compile time, not at run time), which makes
 * the classes nominal: without it the classes without fields (Accepted, Released...) would all be \`{}\`,
 * which any object matches, and \`instanceof\` could not tell them apart.
 *
 * Every field is a property, in wire order, initialised to \`undefined\` (absent), so every instance of a class
 * has the same properties in the same order. A field the spec makes mandatory is typed as present, but a
 * fresh instance still lacks it until it is set. Defaults are the spec's, documented, not applied.
 */
import type { ${imports.join(', ')} } from './types.js';

/**
 * A map of one of the AMQP spec's symbol-keyed types (fields, filter-set, node-properties, annotations): the
 * decoder gives it as a Map whose symbol keys are strings; the encoder also takes a plain object. Proton
 * Python has \`PropertyDict\` (fields) and \`AnnotationDict\` (annotations) for them.
 */
export type ${SYMBOL_KEYED_MAP} = Map<AmqpValue, AmqpValue> | Readonly<Record<string, unknown>>;
`);
  for (const u of unions) {
    out.push(`
${printDoc('', `The AMQP composite types providing \`${u.requirement}\`.${PROTON_UNIONS[u.requirement] ? ` ${PROTON_UNIONS[u.requirement]}` : ''}`)}
${printUnion(`export type ${u.name} =`, u.classes, ';')}
`);
  }
  for (const c of classes) {
    const lines = [
      '',
      printDoc(
        '',
        `The AMQP \`${c.name}\` ${c.noun} (${c.symbol}, ${new Hex(c.code).text}).${PROTON_CLASSES[c.name] ? ` ${PROTON_CLASSES[c.name]}` : ''}`,
      ),
      `export class ${c.className} {`,
      `  /** The AMQP descriptor code: domain 0, code ${new Hex(c.code).text}. */`,
      `  static readonly descriptor = ${new Hex(c.code).text};`,
      `  /** The AMQP descriptor symbol, \`${c.symbol}\`. */`,
      `  static readonly symbol = ${printString(c.symbol)};`,
      '  declare private readonly brand: never;',
    ];
    for (const f of c.fields) {
      lines.push(printDoc('  ', f.doc, f.default));
      if (f.mandatory) lines.push(`  ${f.key}!: ${f.type};`);
      else lines.push(printUnion(`  ${f.key}?:`, [f.type], ' = undefined;'));
    }
    lines.push('}', '');
    out.push(lines.join('\n'));
  }
  out.push(`
/**
 * The class of every AMQP composite type, keyed by the spec's name. proton-ts only: Proton Python has no such
 * table.
 */
export const COMPOSITE_CLASSES = {
${classes.map((c) => `  /** The \`${c.name}\` ${c.noun}. */\n  ${printKey(c.name)}: ${c.className},\n`).join('')}} as const;
`);
  return out.join('');
}

// ---------------------------------------------------------------------------------------------------------

function main() {
  const options = parseArgs(process.argv.slice(2));
  const outputs = [];
  try {
    const model = readSpec(options.spec);
    const tables = buildTables(model);
    outputs.push([options.out, render(tables)], [options.typesOut, renderTypes(model, tables)]);
  } catch (error) {
    fail(error.message);
  }
  if (options.check) {
    let stale = false;
    for (const [file, output] of outputs) {
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // Missing counts as different.
      }
      if (current !== output) {
        console.error(`gen-spec: ${relative(process.cwd(), file)} is out of date; run npm run gen:spec`);
        stale = true;
      }
    }
    if (stale) process.exit(1);
    return;
  }
  for (const [file, output] of outputs) {
    writeFileSync(file, output);
    console.log(`gen-spec: wrote ${relative(process.cwd(), file)}`);
  }
}

main();
