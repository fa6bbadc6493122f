// @ts-check
/// <reference lib="webworker" />
// The preview route: `/preview/PORT/PATH` is answered by the page that runs the machine, which
// asks the guest over TCP (src/vm/preview/responder.ts). No server and no proxy outside the tab.
//
// Every answer carries `Content-Security-Policy: sandbox` without allow-same-origin: the
// learner's pages run in an opaque origin and cannot read the app's storage. (Browsers do not
// route an opaque document's own requests through a service worker, which is why the page
// inlines subresources before answering a navigation.)
//
// Hand-written classic script, served from the app's root so it may control `preview/`. A later
// app-wide service worker (PWA precaching) can `importScripts("preview-sw.js")`: this only
// answers preview URLs and leaves every other request to whoever handles it next.

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

/** Where the app lives: this script sits in its root. */
const APP_BASE = new URL("./", sw.location.href);
const ROUTE = new URL("preview/", APP_BASE).pathname;
const PAGE_TIMEOUT_MS = 45000;
const SANDBOX =
  "sandbox allow-scripts allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-downloads";

// Registered alone (scope preview/) it takes over at once. Imported by the app's service worker
// (scope: the app) it leaves the lifecycle to that worker, which waits for the learner to update.
if (new URL(sw.registration.scope).pathname === ROUTE) {
  sw.addEventListener("install", () => {
    void sw.skipWaiting();
  });
  sw.addEventListener("activate", (event) => event.waitUntil(sw.clients.claim()));
}

sw.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== sw.location.origin || !url.pathname.startsWith(ROUTE)) return;
  const m = /^(\d{1,5})(\/.*)?$/.exec(url.pathname.slice(ROUTE.length));
  if (!m) return;
  const port = Number(m[1]);
  // `/preview/8080` → `/preview/8080/`, so the page's relative URLs resolve inside the route.
  if (m[2] === undefined) {
    event.respondWith(Response.redirect(`${url.pathname}/${url.search}`, 302));
    return;
  }
  event.respondWith(answer(event.request, port, m[2] + url.search));
});

/**
 * @param {Request} request
 * @param {number} port
 * @param {string} path
 * @returns {Promise<Response>}
 */
async function answer(request, port, path) {
  const page = await machinePage();
  if (!page)
    return textPage(
      503,
      "The Docker sandbox is not open: open it in another tab, then reload this page.",
    );
  const method = request.method;
  const body =
    method === "GET" || method === "HEAD" ? undefined : new Uint8Array(await request.arrayBuffer());
  const channel = new MessageChannel();
  /** @type {Promise<{status: number, statusText: string, headers: [string, string][], body: Uint8Array} | undefined>} */
  const reply = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), PAGE_TIMEOUT_MS);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
  });
  page.postMessage(
    {
      type: "preview-request",
      port,
      path,
      method,
      headers: [...request.headers],
      body,
      navigate: request.mode === "navigate",
      routeBase: `${ROUTE}${port}`,
    },
    [channel.port2],
  );
  const got = await reply;
  channel.port1.close();
  if (!got) return textPage(504, `The sandbox page did not answer for port ${port}.`);
  const headers = new Headers();
  for (const [name, value] of got.headers) {
    try {
      headers.append(name, value);
    } catch {
      // a header the browser will not set from a service worker
    }
  }
  headers.append("Content-Security-Policy", SANDBOX);
  headers.set("Cache-Control", "no-store");
  const empty = method === "HEAD" || [101, 204, 205, 304].includes(got.status);
  try {
    return new Response(empty ? null : got.body, {
      status: got.status,
      statusText: got.statusText,
      headers,
    });
  } catch (error) {
    // A status or reason phrase a browser cannot express (say 1xx, or non-Latin-1 text).
    return textPage(
      502,
      `Port ${port} answered ${got.status}, which a browser cannot show: ${error}`,
    );
  }
}

/** The window that runs the machine: the app's own tab, most recently focused first. */
async function machinePage() {
  const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
  return windows.find(
    (c) =>
      c.frameType === "top-level" &&
      new URL(c.url).pathname.startsWith(APP_BASE.pathname) &&
      !new URL(c.url).pathname.startsWith(ROUTE),
  );
}

/**
 * @param {number} status
 * @param {string} text
 */
function textPage(status, text) {
  return new Response(text, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Content-Security-Policy": SANDBOX },
  });
}
