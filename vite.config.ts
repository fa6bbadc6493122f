import { createHash } from "node:crypto";
import fs from "node:fs";
import { defineConfig, type Plugin } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { VitePWA } from "vite-plugin-pwa";
// @ts-expect-error plain JS module without types
import { guestPlugin } from "./scripts/serve.mjs";

/**
 * The bundled images' index, precached with the app shell: the VM worker reads it on every start,
 * so `docker pull` works offline (the blobs themselves are kept in IndexedDB once pulled).
 */
function bundledImagesIndex(): { url: string; revision: string }[] {
  try {
    const bytes = fs.readFileSync(new URL("./images-out/index.json", import.meta.url));
    return [
      { url: "images/index.json", revision: createHash("sha256").update(bytes).digest("hex") },
    ];
  } catch {
    return []; // no bundled images built: nothing to precache
  }
}

/**
 * The page's Content-Security-Policy: only this origin's code, no inline or remote scripts, no
 * plugins. v86 compiles guest code to WebAssembly at run time ('wasm-unsafe-eval'); xterm,
 * CodeMirror and Svelte's style: directives set styles at run time ('unsafe-inline' for styles
 * only). The preview frame is this origin too; the service worker gives each of its answers a
 * CSP `sandbox` of its own. A <meta> policy, so any static host serves it without configuration
 * (frame-ancestors needs a header: see README).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "manifest-src 'self'",
  "media-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

/** Adds the policy to the built page only: Vite's dev server injects inline scripts of its own. */
function contentSecurityPolicy(): Plugin {
  return {
    name: "content-security-policy",
    apply: "build",
    transformIndexHtml: () => [
      {
        tag: "meta",
        attrs: { "http-equiv": "Content-Security-Policy", content: CONTENT_SECURITY_POLICY },
        injectTo: "head-prepend",
      },
    ],
  };
}

export default defineConfig(({ command }) => ({
  // The page registers the app's service worker only where the build made one (not under
  // `vite` dev). Not import.meta.env.PROD: a build run by vitest has NODE_ENV=test.
  define: { __APP_SERVICE_WORKER__: JSON.stringify(command === "build") },
  plugins: [
    svelte(),
    guestPlugin(),
    contentSecurityPolicy(),
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src/sw",
      filename: "app-sw.ts",
      // src/ui/service-worker.svelte.ts registers it (the preview route shares it) and shows
      // "Update available" instead of swapping versions under a running machine.
      injectRegister: false,
      registerType: "prompt",
      manifest: {
        name: "Docker Sandbox",
        short_name: "Docker Sandbox",
        description: "Learn Docker with a real Docker engine running in your browser.",
        theme_color: "#0b5cd5",
        background_color: "#f3f4f7",
        display: "standalone",
        icons: [
          { src: "icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "icon-512.png", sizes: "512x512", type: "image/png" },
          {
            src: "icon-maskable-512.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
          { src: "favicon.svg", sizes: "any", type: "image/svg+xml" },
        ],
      },
      injectManifest: {
        // A classic script: it importScripts() the preview route (public/preview-sw.js).
        rollupFormat: "iife",
        // The manifest and its icons are added by the plugin itself.
        globPatterns: ["**/*.{js,css,html,wasm}"],
        // Guest files and image blobs live in IndexedDB (VM worker); the preview route is live.
        globIgnores: ["vm/**", "images/**", "preview/**", "preview-sw.js"],
        additionalManifestEntries: bundledImagesIndex(),
        // v86's wasm and the app bundle are larger than Workbox's 2 MiB default.
        maximumFileSizeToCacheInBytes: 16 * 2 ** 20,
      },
      devOptions: { enabled: false },
    }),
  ],
  worker: { format: "es", plugins: () => [guestPlugin({ copy: false })] },
  build: { target: "es2022" },
}));
