// The V8 flags of the test leg (scripts/test.ts sets TEST_NODE_FLAGS and starts Jest with them),
// passed on to the node processes tests start, so that a service runs as its test does.
export function testNodeFlags(): string[] {
  return (process.env.TEST_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}
