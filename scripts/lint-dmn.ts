// Part of `npm run lint:bpmn`: dmnlint (recommended rules, .dmnlintrc) over the DMN files
// of bpmn/, which deploy with the process models. dmnlint fails when given no file, and
// bpmn/ may hold none: then there is nothing to check.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(process.argv[2] ?? path.join(root, 'bpmn'));
const files = readdirSync(dir)
  .filter((f) => f.toLowerCase().endsWith('.dmn'))
  .sort()
  .map((f) => path.relative(root, path.join(dir, f)));
if (files.length === 0) {
  console.log(`dmnlint: no DMN files in ${path.relative(root, dir) || '.'}, nothing to check`);
  process.exit(0);
}
const dmnlint = createRequire(import.meta.url).resolve('dmnlint/bin/dmnlint.js');
const run = spawnSync(process.execPath, [dmnlint, ...files], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
