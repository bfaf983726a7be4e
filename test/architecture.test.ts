/**
 * The layers of src/ import only downwards (design.md): util < codec < message < sasl < engine < io <
 * container < handlers < broker, cli. errors.ts imports nothing and anyone may import it; index.ts is the
 * public surface, and the broker and the CLI are built on it alone. This test reads the import lines of every source file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const LAYERS = [
  'util',
  'codec',
  'message',
  'sasl',
  'engine',
  'io',
  'container',
  'handlers',
  'promise',
  'broker',
  'cli',
];
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The layer rank of a file under src/: its folder's place in LAYERS; -1 for errors.ts; Infinity for index.ts. */
function rank(file: string): number {
  const rel = relative(src, file);
  if (rel === 'errors.ts') return -1;
  // The public surface sits above the library's layers and below those built on it (broker, cli).
  if (rel === 'index.ts') return LAYERS.indexOf('promise') + 0.5;
  const layer = rel.split('/')[0] ?? '';
  const r = LAYERS.indexOf(layer);
  assert.ok(r >= 0, `${rel} is in no known layer`);
  return r;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
}

describe('architecture', () => {
  const files = sources(src);

  it('finds the sources', () => {
    assert.ok(files.length > 5);
  });

  it('imports point down the layers only', () => {
    const bad: string[] = [];
    for (const f of files) {
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
        if (rank(target) > rank(f)) bad.push(`${relative(src, f)} imports ${relative(src, target)}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('the broker and the CLI use the public API only', () => {
    const bad: string[] = [];
    for (const f of files) {
      const rel = relative(src, f);
      const layer = rel.split('/')[0];
      if (layer !== 'broker' && layer !== 'cli') continue;
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(src, resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
        const to = target.split('/')[0];
        const ok = target === 'index.ts' || to === layer || (layer === 'cli' && to === 'broker');
        if (!ok) bad.push(`${rel} imports ${target}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('errors.ts imports nothing', () => {
    assert.deepEqual(imports(join(src, 'errors.ts')), []);
  });

  it('below io/, nothing touches a socket, a timer or the clock', () => {
    const low = new Set(['util', 'codec', 'message', 'sasl', 'engine']);
    const bad: string[] = [];
    for (const f of files) {
      const rel = relative(src, f);
      if (!low.has(rel.split('/')[0] ?? '')) continue;
      const text = readFileSync(f, 'utf8');
      for (const m of [
        'node:net',
        'node:tls',
        'node:dgram',
        'setTimeout(',
        'setInterval(',
        'Date.now(',
        'performance.now(',
      ]) {
        if (text.includes(m)) bad.push(`${rel}: ${m}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('the library never writes to the console', () => {
    const bad = files
      .filter((f) => /\bconsole\.\w+\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(src, f));
    assert.deepEqual(bad, []);
  });
});
