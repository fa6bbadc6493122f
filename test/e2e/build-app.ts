// Builds dist/ once before the end-to-end tests, so they test the code as it is now.
import path from "node:path";
import { build } from "vite";
// @ts-expect-error plain JS module with JSDoc types
import { guestPlugin } from "../../scripts/serve.mjs";
import { root } from "./harness.ts";

export default async function setup(): Promise<void> {
  const out = path.join(root, "vm-images/out");
  await build({
    root,
    configFile: path.join(root, "vite.config.ts"),
    logLevel: "warn",
    plugins: [guestPlugin({ out })],
    worker: { format: "es", plugins: () => [guestPlugin({ out, copy: false })] },
  });
}
