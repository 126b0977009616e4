// ESM TypeScript under Jest: swc strips types; `.js` import suffixes map back to `.ts`.
// Run through `npm test` / `npm run test:jest`, which set --experimental-vm-modules
// (PGlite loads its Wasm through a dynamic import).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120_000,
  maxWorkers: 2,
};
