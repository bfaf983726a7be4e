/**
 * The API reference builds without a TypeDoc warning (every export documented, no broken link), and every
 * exported member's comment names its Proton Python counterpart or AMQP term (scripts/api-doc-check.mjs).
 * The checker's rule is tested on a small model first, so a checker that lets everything through fails here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../scripts/api-doc-check.mjs', import.meta.url));

interface Missing {
  file: string;
  name: string;
}
interface Checker {
  missingCounterparts(model: unknown): Missing[];
  buildModel(): Promise<unknown>;
}
const checker = (await import(pathToFileURL(SCRIPT).href)) as Checker;

const text = (s: string) => ({ summary: [{ kind: 'text', text: s }] });

test('the rule: a member whose comment names neither Proton nor AMQP is reported, with its file', () => {
  const model = {
    kind: 1,
    name: 'proton-ts',
    children: [
      {
        kind: 128,
        name: 'Sender',
        comment: text('A link that sends. Proton: `Sender`.'),
        sources: [{ fileName: 'src/engine/link.ts' }],
        children: [
          { kind: 512, name: 'constructor', signatures: [{}] },
          {
            kind: 2048,
            name: 'send',
            signatures: [{ comment: text('Sends a message. Proton: `Sender.send()`.') }],
            sources: [{ fileName: 'src/engine/link.ts' }],
          },
          {
            kind: 262144,
            name: 'credit',
            getSignature: { comment: text('Credit left.') },
            sources: [{ fileName: 'src/engine/link.ts' }],
          },
          { kind: 1024, name: 'name', inheritedFrom: {}, sources: [{ fileName: 'src/engine/link.ts' }] },
          {
            kind: 1024,
            name: 'tag',
            comment: {
              summary: [],
              blockTags: [{ tag: '@see', content: [{ kind: 'text', text: 'AMQP `transfer`' }] }],
            },
            sources: [{ fileName: 'src/engine/link.ts' }],
          },
        ],
      },
      { kind: 64, name: 'helper', signatures: [{ comment: text('Undocumented mapping.') }] },
    ],
  };
  assert.deepEqual(checker.missingCounterparts(model), [
    { file: 'src/engine/link.ts', name: 'Sender.credit' },
    { file: '(unknown)', name: 'helper' },
  ]);
});

test('TypeDoc builds the reference with no warning and every export names its counterpart', async () => {
  const missing = checker.missingCounterparts(await checker.buildModel());
  assert.deepEqual(
    missing.map((m) => `${m.file}: ${m.name}`),
    [],
    'exported members whose doc comment names no Proton or AMQP counterpart',
  );
});
