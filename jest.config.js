// ESM TypeScript under Jest: ts-jest transpiles each file on its own (tsconfig's isolatedModules:
// no type check here; `npm run lint` type-checks); `.js` import suffixes map back to
// `.ts`. Run through `npm test` / `npm run test:jest`, which set --experimental-vm-modules
// (PGlite loads its Wasm through a dynamic import).
// ts-jest rather than @swc/jest: the npm registry reachable here lacks some of swc's
// per-platform binaries, and a lockfile without them makes `npm ci` fail.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120_000,
  // Two on two cores. Three was tried: a clean clone ran its heaviest files at once and the
  // PGlite leg took longer (1022 s against 967 s), with timing flakes.
  maxWorkers: 2,
  // test.concurrent (the kill-point suite): services started at once per file, on 2 cores.
  maxConcurrency: 3,
};
