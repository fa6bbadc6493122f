// The app's service worker (built by vite-plugin-pwa, injectManifest): the app shell (index.html,
// scripts, styles, v86's wasm, lessons, icons, the bundled images' index) is precached, so after
// one visit the page loads with the network off. The machine itself (saved state, disk chunks,
// BIOS, pulled blobs) is cached by the VM worker in IndexedDB, not here.
//
// A new version waits until the learner accepts it ("Update available — reload"): swapping files
// under a running machine could break lazily loaded chunks.
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { SKIP_WAITING, navigationDenylist } from "./routes.ts";

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: (string | { url: string; revision: string | null })[];
};

// The preview route (/preview/PORT/…) first: it answers only its own URLs and leaves the rest to
// the precache below. Registered alone on the preview/ scope it manages its own lifecycle; here
// it does not (see public/preview-sw.js).
importScripts("preview-sw.js");

const base = new URL("./", self.location.href).pathname;

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(
  new NavigationRoute(createHandlerBoundToURL("index.html"), {
    denylist: navigationDenylist(base),
  }),
);

self.addEventListener("message", (event) => {
  if ((event.data as { type?: string } | null)?.type === SKIP_WAITING) void self.skipWaiting();
});

// The first install takes the open page at once, so the preview route works on the first visit.
// Later versions wait for the learner (above), then claim the reloaded page.
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
