// DMN files in bpmn/: they deploy with the process models, need no workers, and
// `npm run lint:bpmn` checks them with dmnlint's recommended rules (.dmnlintrc).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { loadProcessModels, taskTypesOf } from '../../../orchestrator/process-models.js';
import { dmn, literal } from './support.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'models-dmn-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DMN files among the process models', () => {
  test('loadProcessModels gives the *.dmn files too, after the *.bpmn ones, each sorted by name', async () => {
    await writeFile(path.join(dir, 'z.bpmn'), '<z/>');
    await writeFile(path.join(dir, 'b.dmn'), '<b/>');
    await writeFile(path.join(dir, 'a.DMN'), '<a/>');
    expect((await loadProcessModels(dir)).map((r) => r.name)).toEqual(['z.bpmn', 'a.DMN', 'b.dmn']);
  });

  test('a DMN file has no job types: start-up finds no worker missing for it', async () => {
    expect(await taskTypesOf(dmn('dishes', literal('season', '"summer"')))).toEqual([]);
  });
});

describe('npm run lint:bpmn over DMN files (dmnlint, recommended rules)', () => {
  const lint = () => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/lint-dmn.ts', dir], { cwd: root, encoding: 'utf8' });

  test('no DMN file at all is not a failure (dmnlint itself refuses to run without files)', () => {
    const run = lint();
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('no DMN files');
  });

  test('a DMN file that keeps the rules passes; a decision without a name fails (label-required)', async () => {
    await writeFile(path.join(dir, 'good.dmn'), dmn('good', literal('season', '"summer"', { name: 'Season' })));
    expect(lint().status).toBe(0);
    await writeFile(path.join(dir, 'bad.dmn'), dmn('bad', literal('season', '"summer"', { name: '' })));
    const run = lint();
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/season\s+error\s+Element is missing label\/name\s+label-required/);
  });
});
