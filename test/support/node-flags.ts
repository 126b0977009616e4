// V8 flags for the node processes tests start (services, commands): scripts/test.ts sets
// TEST_NODE_FLAGS for its main legs (docs/testing.md); unset, a process starts as `npm start` does.
export function testNodeFlags(): string[] {
  return (process.env.TEST_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}
