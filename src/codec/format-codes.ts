/** The AMQP 1.0 format codes (constructor bytes), from the spec's types section. */
export const Code = {
  described: 0x00,
  null: 0x40,
  true: 0x41,
  false: 0x42,
  uint0: 0x43,
  ulong0: 0x44,
  list0: 0x45,
  ubyte: 0x50,
  byte: 0x51,
  smalluint: 0x52,
  smallulong: 0x53,
  smallint: 0x54,
  smalllong: 0x55,
  boolean: 0x56,
  ushort: 0x60,
  short: 0x61,
  uint: 0x70,
  int: 0x71,
  float: 0x72,
  char: 0x73,
  decimal32: 0x74,
  ulong: 0x80,
  long: 0x81,
  double: 0x82,
  timestamp: 0x83,
  decimal64: 0x84,
  decimal128: 0x94,
  uuid: 0x98,
  vbin8: 0xa0,
  str8: 0xa1,
  sym8: 0xa3,
  vbin32: 0xb0,
  str32: 0xb1,
  sym32: 0xb3,
  list8: 0xc0,
  map8: 0xc1,
  list32: 0xd0,
  map32: 0xd1,
  array8: 0xe0,
  array32: 0xf0,
} as const;

/** The AMQP type each format code encodes; undefined for a byte that is no format code. */
export const TYPE_OF_CODE: ReadonlyArray<string | undefined> = (() => {
  const t: Array<string | undefined> = new Array(256).fill(undefined);
  const set = (type: string, ...codes: number[]) => {
    for (const c of codes) t[c] = type;
  };
  set('null', Code.null);
  set('boolean', Code.true, Code.false, Code.boolean);
  set('ubyte', Code.ubyte);
  set('ushort', Code.ushort);
  set('uint', Code.uint, Code.smalluint, Code.uint0);
  set('ulong', Code.ulong, Code.smallulong, Code.ulong0);
  set('byte', Code.byte);
  set('short', Code.short);
  set('int', Code.int, Code.smallint);
  set('long', Code.long, Code.smalllong);
  set('float', Code.float);
  set('double', Code.double);
  set('decimal32', Code.decimal32);
  set('decimal64', Code.decimal64);
  set('decimal128', Code.decimal128);
  set('char', Code.char);
  set('timestamp', Code.timestamp);
  set('uuid', Code.uuid);
  set('binary', Code.vbin8, Code.vbin32);
  set('string', Code.str8, Code.str32);
  set('symbol', Code.sym8, Code.sym32);
  set('list', Code.list0, Code.list8, Code.list32);
  set('map', Code.map8, Code.map32);
  set('array', Code.array8, Code.array32);
  return t;
})();

/**
 * The width in bytes of a fixed-width encoding's value, -1 for variable-width (size-prefixed) ones,
 * and undefined for the described constructor and unknown bytes.
 */
export function fixedWidth(code: number): number | undefined {
  switch (code >> 4) {
    case 0x4:
      return code <= 0x45 ? 0 : undefined;
    case 0x5:
      return code <= 0x56 ? 1 : undefined;
    case 0x6:
      return code <= 0x61 ? 2 : undefined;
    case 0x7:
      return code <= 0x74 ? 4 : undefined;
    case 0x8:
      return code <= 0x84 ? 8 : undefined;
    case 0x9:
      return code === 0x94 ? 16 : code === 0x98 ? 16 : undefined;
    case 0xa:
    case 0xb:
    case 0xc:
    case 0xd:
    case 0xe:
    case 0xf:
      return TYPE_OF_CODE[code] === undefined ? undefined : -1;
    default:
      return undefined;
  }
}
