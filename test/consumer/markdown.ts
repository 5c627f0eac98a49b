// Reads the fenced code blocks of the user docs (README.md, docs/*.md) and their info strings.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The engines a runnable snippet can ask for (`runnable=<engine>` in its info string). */
export const SNIPPET_ENGINES = ['dynamodb', 'mongo', 'postgres', 'pglite'] as const;
export type SnippetEngine = (typeof SNIPPET_ENGINES)[number];

/**
 * One fenced code block. The info string is the language, then optional attributes:
 * - `file=<path>`: also (or only) a file of the consumer project that other snippets import or
 *   that tooling reads (a TypeScript module beside the doc's snippets; any other language at the
 *   project root, e.g. `prisma file=prisma/schema.prisma`);
 * - `runnable=<engine>`: run it after it compiles, against that engine;
 * - `expect-error: <reason>`: must NOT compile, for a library bug the snippet shows (the rest of
 *   the line is the reason; the test fails once it compiles, so the marker gets removed).
 *
 * @example
 * ```ts
 * const [block] = codeBlocks('```ts runnable=pglite\nawait 1;\n```\n', 'README.md');
 * block?.runnable; // 'pglite'
 * ```
 */
export interface CodeBlock {
  /** The document, relative to the repository root (`docs/dynamo.md`). */
  readonly doc: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word (`ts`, `sh`, `prisma`), lowercased; '' when absent. */
  readonly lang: string;
  readonly info: string;
  readonly code: string;
  readonly file?: string;
  readonly runnable?: SnippetEngine;
  readonly expectError?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

/**
 * The fenced code blocks of one markdown document, with their parsed info strings.
 *
 * @example
 * ```ts
 * const blocks = codeBlocks(readFileSync('README.md', 'utf8'), 'README.md');
 * ```
 */
export function codeBlocks(markdown: string, doc: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '', rawInfo = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      const close = FENCE.exec(line);
      if (
        close &&
        close[2]?.[0] === fence[0] &&
        (close[2]?.length ?? 0) >= fence.length &&
        close[3]?.trim() === ''
      )
        break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    blocks.push({ doc, line: i + 1, ...parseInfo(rawInfo.trim()), code: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}

function parseInfo(info: string): Pick<CodeBlock, 'lang' | 'info' | 'file' | 'runnable' | 'expectError'> {
  const marker = info.indexOf('expect-error:');
  const head = marker >= 0 ? info.slice(0, marker) : info;
  const [lang = '', ...attributes] = head.split(/\s+/).filter(Boolean);
  const parsed: {
    lang: string;
    info: string;
    file?: string;
    runnable?: SnippetEngine;
    expectError?: string;
  } = {
    lang: lang.toLowerCase(),
    info,
  };
  if (marker >= 0) parsed.expectError = info.slice(marker + 'expect-error:'.length).trim() || 'unspecified';
  for (const attribute of attributes) {
    const [key, value = ''] = attribute.split('=', 2);
    if (key === 'file' && value !== '') parsed.file = value;
    else if (key === 'runnable') {
      if (!(SNIPPET_ENGINES as readonly string[]).includes(value))
        throw new Error(`${info}: runnable=${value} is not one of ${SNIPPET_ENGINES.join(', ')}`);
      parsed.runnable = value as SnippetEngine;
    } else throw new Error(`unknown attribute "${attribute}" in the info string "${info}"`);
  }
  return parsed;
}

/**
 * The documents users read from the package page: README.md and docs/*.md, in a stable order.
 *
 * @example
 * ```ts
 * userDocs('/work/main'); // ['README.md', 'docs/dynamo.md', ...]
 * ```
 */
export function userDocs(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/**
 * Every code block of the user docs.
 *
 * @example
 * ```ts
 * const snippets = docBlocks(root).filter((b) => b.lang === 'ts');
 * ```
 */
export function docBlocks(root: string): CodeBlock[] {
  return userDocs(root).flatMap((doc) => codeBlocks(readFileSync(join(root, doc), 'utf8'), doc));
}

/** True for the blocks the consumer test compiles. */
export const isTypeScript = (block: CodeBlock): boolean => block.lang === 'ts' || block.lang === 'typescript';

/**
 * Where a doc's snippets live inside the consumer project (`docs/dynamo.md` -> `docs-dynamo`).
 *
 * @example
 * ```ts
 * docFolder('README.md'); // 'readme'
 * ```
 */
export function docFolder(doc: string): string {
  return doc
    .replace(/\.md$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
}

/**
 * The consumer-project path of a block: its `file=` for TypeScript modules (beside the doc's other
 * snippets) and other languages (at the project root), else `<doc folder>/L<line>.ts`.
 *
 * @example
 * ```ts
 * snippetPath({ doc: 'README.md', line: 52, lang: 'ts', ... }); // 'readme/L52.ts'
 * ```
 */
export function snippetPath(block: CodeBlock): string {
  if (block.file !== undefined && !isTypeScript(block)) return block.file;
  return `${docFolder(block.doc)}/${block.file ?? `L${block.line}.ts`}`;
}

/** `docs/dynamo.md:52`, how failures name a snippet. */
export const where = (block: CodeBlock): string => `${block.doc}:${block.line}`;
