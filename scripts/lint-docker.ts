// `npm run lint:docker` (part of `npm run lint`): static checks of the Dockerfile and
// docker-compose.yml. Nothing here needs a Docker engine.
//   1. Dockerfile: dockerfile-utils (the validator behind VS Code's Docker language
//      server): unknown instructions and flags, bad durations, ports, JSON forms.
//      Warnings count as errors.
//   2. docker-compose.yml against the current Compose Specification schema (the
//      copy bundled with dclint), plus dclint's rules that matter here (explicit
//      image tags, no duplicate ports, published ports bound to an interface).
//   3. `docker compose config -q` (Compose v2) or `docker-compose config -q`
//      (Compose v1, Debian's docker-compose package): Compose itself loads the file
//      and also checks what a schema cannot (unknown services in depends_on,
//      undeclared volumes, port syntax, variable interpolation). When neither is
//      installed this step is skipped with a notice, except under CI=true, where
//      it fails (.ci/run installs docker-compose).
//      The file requires its secrets (`${ADMIN_TOKEN:?…}`): Compose gets an env file
//      with a throwaway value for each variable .env.example names, so a secret the
//      file requires and .env.example does not list fails here as it would for a
//      user who follows .env.example.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DCLinter } from 'dclint';
import { validate } from 'dockerfile-utils';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Other files may be named (`npm run lint:docker -- some/Dockerfile some/compose.yml`).
const dockerfile = path.resolve(process.argv[2] ?? path.join(root, 'Dockerfile'));
const composeFile = path.resolve(process.argv[3] ?? path.join(root, 'docker-compose.yml'));
const dockerfileName = path.relative(root, dockerfile);
const composeName = path.relative(root, composeFile);
const problems: string[] = [];

// 1. Dockerfile
for (const d of validate(readFileSync(dockerfile, 'utf8'))) {
  problems.push(`${dockerfileName}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`);
}

// 2. Compose Specification schema and selected dclint rules. The style rules (key
// and service order, quoting) are off: the file is ordered for reading.
const OFF = 0;
const linter = new DCLinter({
  rules: {
    'require-project-name-field': OFF,
    'require-quotes-in-ports': OFF,
    'service-dependencies-alphabetical-order': OFF,
    'service-keys-order': OFF,
    'service-ports-alphabetical-order': OFF,
    'services-alphabetical-order': OFF,
    'top-level-properties-order': OFF,
    'no-quotes-in-volumes': OFF,
  },
  quiet: false,
  debug: false,
  exclude: [],
});
for (const result of linter.lintFiles([composeFile], false)) {
  for (const m of result.messages) {
    problems.push(`${composeName}:${m.line}:${m.column}: ${m.message} (${m.rule})`);
  }
}

// 3. Compose itself, with the secrets .env.example names (values made up here).
function run(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
}
const exampleEnv = path.join(path.dirname(composeFile), '.env.example');
const secretNames = readFileSync(exampleEnv, 'utf8')
  .split('\n')
  .flatMap((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1] ?? []);
const envDir = mkdtempSync(path.join(os.tmpdir(), 'lint-docker-'));
const envFile = path.join(envDir, 'lint.env');
writeFileSync(envFile, secretNames.map((name) => `${name}=${randomBytes(16).toString('hex')}\n`).join(''), { mode: 0o600 });
const candidates: [string, string[]][] = [
  ['docker', ['compose']],
  ['docker-compose', []],
];
let composeChecked = false;
for (const [cmd, prefix] of candidates) {
  const version = run(cmd, [...prefix, 'version']);
  if (version.error || version.status !== 0) continue;
  const check = run(cmd, [...prefix, '--env-file', envFile, '-f', composeFile, 'config', '-q']);
  const label = `${cmd} ${[...prefix, 'config', '-q'].join(' ')} (the secrets .env.example names set)`;
  if (check.status !== 0) problems.push(`${label}: ${(check.stderr || check.stdout).trim()}`);
  else console.log(`lint:docker: ${label} (${version.stdout.split('\n')[0]?.trim()}) accepts ${composeName}`);
  composeChecked = true;
  break;
}
rmSync(envDir, { recursive: true, force: true });
if (!composeChecked) {
  const message = `neither \`docker compose\` nor \`docker-compose\` is installed, so Compose did not load ${composeName} (Debian: apt-get install --no-install-recommends docker-compose)`;
  if (process.env.CI) problems.push(`lint:docker: ${message}`);
  else console.log(`lint:docker: SKIPPED the Compose check: ${message}`);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`lint:docker: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`lint:docker: ${dockerfileName} (dockerfile-utils) and ${composeName} (Compose Specification schema, dclint rules) are valid`);
