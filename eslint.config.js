import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// --- import directions (docs/architecture.md, "Layers and import directions") -----------
// Each folder imports only the folders its row of the table names. Checked on the import
// string: a relative path climbs (../) out of the folder and names the folder it goes to.
// No folder nests one of the same name, so `(../)+api/` can only mean the api/ folder.
// test/, bench/ and scripts/ are not listed: they may import everything, like app/.
const ours = (folders) => `^(\\.\\./)+(${folders.join('|')})/`;
/** The orchestrator's adapters: outside orchestrator/, only app/ picks one (the port is engine.ts, order-process.ts, process-inspector.ts, …). */
const ADAPTERS = '^(\\.\\./)+orchestrator/(embedded|zeebe)/';
const layer = (folder, patterns) => ({
  files: [folder.endsWith('.ts') ? folder : `${folder}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});
const notOurs = (folders, why) => ({ regex: ours(folders), message: why });
const noAdapters = (who) => ({
  regex: ADAPTERS,
  message: `${who} use the orchestrator port, never orchestrator/embedded/ or orchestrator/zeebe/ (only app/ chooses an engine).`,
});

const orchestratorOnly = notOurs(
  ['api', 'app', 'bench', 'domain', 'integrations', 'prisma', 'queues', 'scripts', 'test', 'workers'],
  'orchestrator/ may import infra/ only (docs/architecture.md): pass what it needs in from app/.',
);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'prisma/generated/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  { files: ['scripts/**', 'prisma/seed-cli.ts', 'bench/**', 'app/deploy-cli.ts'], rules: { 'no-console': 'off' } },

  // infra/: nothing of ours outside infra/.
  layer('infra', [{ regex: '^\\.\\./', message: 'infra/ imports nothing of ours outside infra/ (docs/architecture.md).' }]),
  // The one file that opens the database hands out the generated Prisma client (prisma/generated is
  // generated code, not one of our layers): allowed there, and only the generated client.
  layer('infra/database.ts', [
    {
      regex: '^\\.\\./(?!prisma/generated/)',
      message: 'infra/ imports nothing of ours outside infra/ but the generated Prisma client (docs/architecture.md).',
    },
  ]),
  // domain/: infra/ and the generated Prisma client.
  layer('domain', [
    notOurs(
      ['api', 'app', 'bench', 'bpmn', 'integrations', 'orchestrator', 'queues', 'scripts', 'test', 'workers'],
      'domain/ may import infra/ and the Prisma client only (docs/architecture.md).',
    ),
    { regex: '^(\\.\\./)+prisma/(?!generated/)', message: 'domain/ may import the generated Prisma client (prisma/generated), not the rest of prisma/.' },
  ]),
  // orchestrator/ (the port, embedded/, zeebe/): infra/ only, and itself.
  layer('orchestrator', [orchestratorOnly]),
  // The two adapters implement the port side by side; neither builds on the other.
  layer('orchestrator/embedded', [
    orchestratorOnly,
    { regex: '^\\.\\./zeebe/', message: 'The embedded engine does not import the Camunda 8 adapter: share through the port.' },
  ]),
  layer('orchestrator/zeebe', [
    orchestratorOnly,
    {
      regex: '^\\.\\./embedded/',
      message: 'The Camunda 8 adapter does not import the embedded engine: share through the port (e.g. orchestrator/process-inspector.ts).',
    },
  ]),
  // workers/, api/, queues/: domain/, the orchestrator port, infra/; never integrations/.
  layer('workers', [
    notOurs(
      ['api', 'app', 'bench', 'integrations', 'prisma', 'queues', 'scripts', 'test'],
      'workers/ may import domain/, the orchestrator port and infra/ (docs/architecture.md).',
    ),
    noAdapters('workers'),
  ]),
  layer('api', [
    notOurs(
      ['app', 'bench', 'integrations', 'prisma', 'queues', 'scripts', 'test', 'workers'],
      'api/ may import domain/, the orchestrator port and infra/ (docs/architecture.md).',
    ),
    noAdapters('API routes'),
  ]),
  layer('queues', [
    notOurs(
      ['api', 'app', 'bench', 'integrations', 'prisma', 'scripts', 'test', 'workers'],
      'queues/ may import domain/, the orchestrator port and infra/ (docs/architecture.md).',
    ),
    noAdapters('queues'),
  ]),
  // integrations/: adapters to the outside world (payment providers, notification sinks). They implement
  // domain/ ports and never reach the orchestrator or our callers; only app/ wires one in.
  layer('integrations', [
    notOurs(
      ['api', 'app', 'bench', 'orchestrator', 'prisma', 'scripts', 'test', 'workers'],
      'integrations/ may import domain/, infra/ and the queue scaffolding only (docs/architecture.md): app/ wires an integration in.',
    ),
    {
      regex: '^(\\.\\./)+queues/(?!(consumer|context)\\.js$)',
      message: 'integrations/ may use queues/consumer.ts and queues/context.ts (to run a BullMQ consumer of its own), not our queues themselves.',
    },
  ]),
  // app/: the composition root, may import everything.
);
