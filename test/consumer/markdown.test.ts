// The docs' code-block reader: info strings, indentation and where each block goes in the consumer project.
import { describe, expect, it } from 'vitest';
import { codeBlocks, docFolder, snippetPath } from './markdown.js';

const doc = [
  '# Title',
  '',
  '```ts runnable=dynamodb file=db.ts',
  'const a = 1;',
  '```',
  '',
  '- a list item:',
  '',
  '  ```ts expect-error: cursor typing (library bug)',
  '  const b: string = 1;',
  '  ```',
  '',
  '````md',
  '```ts',
  'not a block of its own',
  '```',
  '````',
  '',
  '```prisma file=prisma/schema.prisma',
  'model A { id Int @id }',
  '```',
  '',
].join('\n');

describe('codeBlocks', () => {
  const blocks = codeBlocks(doc, 'docs/example.md');

  it('reads the language, the line of the opening fence and the attributes of each block', () => {
    expect(blocks.map((b) => [b.lang, b.line, b.file, b.runnable])).toEqual([
      ['ts', 3, 'db.ts', 'dynamodb'],
      ['ts', 9, undefined, undefined],
      ['md', 13, undefined, undefined],
      ['prisma', 19, 'prisma/schema.prisma', undefined],
    ]);
  });

  it('takes the rest of the info string after expect-error: as the reason, and strips list indentation', () => {
    expect(blocks[1]?.expectError).toBe('cursor typing (library bug)');
    expect(blocks[1]?.code).toBe('const b: string = 1;\n');
  });

  it('keeps a shorter fence inside a longer one as text', () => {
    expect(blocks[2]?.code).toContain('not a block of its own');
  });

  it('refuses an unknown engine or attribute, so a typo cannot silently skip a run', () => {
    expect(() => codeBlocks('```ts runnable=dynamo\n```\n', 'x.md')).toThrow(/runnable=dynamo/);
    expect(() => codeBlocks('```ts runable=dynamodb\n```\n', 'x.md')).toThrow(/unknown attribute/);
  });

  it('puts TypeScript beside its doc and other files at the project root', () => {
    expect(docFolder('docs/dynamo.md')).toBe('docs-dynamo');
    expect(blocks.map(snippetPath)).toEqual([
      'docs-example/db.ts',
      'docs-example/L9.ts',
      'docs-example/L13.ts',
      'prisma/schema.prisma',
    ]);
  });
});
