#!/usr/bin/env node
/**
 * Checks the API reference: TypeDoc must build it without a warning, and every exported member's doc comment
 * must say what it corresponds to, a Proton Python name or an AMQP term, or say "proton-ts only" where neither
 * exists (the word Proton or AMQP must appear). The mechanical rule cannot judge the prose; it catches the
 * member someone added without thinking about its counterpart.
 *
 *   node scripts/api-doc-check.mjs            convert with TypeDoc (no HTML), report what is missing
 *   node scripts/api-doc-check.mjs --json F   check an existing TypeDoc JSON model
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** TypeDoc reflection kinds this check skips: the project and modules (no member), constructors (the class's
 * comment carries the mapping). */
const SKIPPED_KINDS = new Set([1, 2, 4, 512]);

/** The words that show a comment names its counterpart. */
const COUNTERPART = /\bProton\b|\bAMQP\b/;

const commentText = (comment) => {
  if (!comment) return '';
  let text = (comment.summary ?? []).map((part) => part.text).join('');
  for (const tag of comment.blockTags ?? [])
    text += ` ${tag.tag} ${tag.content.map((part) => part.text).join('')}`;
  return text;
};

/** The comment TypeDoc shows for a reflection: its own, or its first call signature's, or its accessor's. */
const shownComment = (reflection) =>
  reflection.comment ??
  reflection.signatures?.[0]?.comment ??
  reflection.getSignature?.comment ??
  reflection.setSignature?.comment;

/**
 * The exported members whose comment names no counterpart.
 * @param {object} model TypeDoc's JSON model
 * @returns {{ file: string, name: string }[]}
 */
export function missingCounterparts(model) {
  const missing = [];
  const walk = (reflection, path) => {
    const name = path ? `${path}.${reflection.name}` : reflection.name;
    const inherited = reflection.inheritedFrom !== undefined || reflection.flags?.isInherited;
    if (!SKIPPED_KINDS.has(reflection.kind) && !inherited) {
      if (!COUNTERPART.test(commentText(shownComment(reflection)))) {
        missing.push({ file: reflection.sources?.[0]?.fileName ?? '(unknown)', name });
      }
    }
    for (const child of reflection.children ?? []) walk(child, reflection.kind === 1 ? '' : name);
  };
  walk(model, '');
  return missing;
}

/**
 * Converts the sources with TypeDoc's API (no HTML is rendered) and validates them as `npm run docs` does;
 * returns the JSON model, or throws when TypeDoc reported an error or a warning.
 */
export async function buildModel() {
  const { Application } = await import(
    pathToFileURL(join(ROOT, 'node_modules', 'typedoc', 'dist', 'index.js')).href
  );
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    // The type check is the build's (tsc); TypeDoc need not repeat it.
    const app = await Application.bootstrapWithPlugins({
      options: join(ROOT, 'typedoc.json'),
      skipErrorChecking: true,
    });
    const messages = [];
    for (const level of ['warn', 'error']) {
      const log = app.logger[level].bind(app.logger);
      app.logger[level] = (message, ...rest) => {
        messages.push(`${level}: ${message}`);
        return log(message, ...rest);
      };
    }
    const project = await app.convert();
    if (project === undefined)
      throw new Error(`typedoc could not convert the sources:\n${messages.join('\n')}`);
    app.validate(project);
    if (app.logger.errorCount > 0 || app.logger.warningCount > 0) {
      throw new Error(
        `typedoc reported ${app.logger.errorCount} errors and ${app.logger.warningCount} warnings:\n${messages.join('\n')}`,
      );
    }
    return app.serializer.projectToObject(project, ROOT);
  } finally {
    process.chdir(cwd);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--json');
  const model = at > 0 ? JSON.parse(readFileSync(process.argv[at + 1], 'utf8')) : await buildModel();
  const missing = missingCounterparts(model);
  const byFile = new Map();
  for (const { file, name } of missing) byFile.set(file, [...(byFile.get(file) ?? []), name]);
  for (const [file, names] of [...byFile].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`${file} (${names.length}): ${names.join(', ')}`);
  }
  console.log(`${missing.length} exported members name no Proton or AMQP counterpart`);
  process.exitCode = missing.length === 0 ? 0 : 1;
}
