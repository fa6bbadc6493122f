import { defineConfig } from "vitest/config";

// End-to-end: the built app in Debian's Chromium against the real guest. One emulator at a time
// (two cores), so files run one after another. Run under `flock /tmp/v86.lock`.
export default defineConfig({
  test: {
    name: "e2e",
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/e2e/build-app.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
