// Copies non-TypeScript assets the built package needs (the Java launcher sources) from src/ to dist/.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const ASSET_EXTENSIONS = new Set(['.java']);

/** @param {string} dir @returns {string[]} */
function assets(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return assets(path);
    return ASSET_EXTENSIONS.has(extname(entry.name)) ? [path] : [];
  });
}

const copied = assets(src).map((file) => {
  const target = join(dist, relative(src, file));
  cpSync(file, target);
  return relative(root, target);
});
process.stdout.write(
  `copy-assets: ${copied.length} file(s)${copied.length > 0 ? `: ${copied.join(', ')}` : ''}\n`,
);
