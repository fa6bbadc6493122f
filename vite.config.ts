import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
// @ts-expect-error plain JS module without types
import { guestPlugin } from "./scripts/serve.mjs";

export default defineConfig({
  plugins: [svelte(), guestPlugin()],
  worker: { format: "es", plugins: () => [guestPlugin({ copy: false })] },
  build: { target: "es2022" },
});
