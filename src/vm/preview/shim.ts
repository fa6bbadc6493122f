// A few lines put at the top of every page the preview shows. The page runs in an opaque origin,
// so its own `fetch()` calls never reach the service worker; this hands same-server fetches to the
// app around the frame (postMessage), which answers them over the same TCP path. Without a
// frame around it (a page opened in its own tab) the page's fetch is left as it was.

/** What the frame posts to the app, and what comes back. */
export interface FrameFetchMessage {
  type: "preview-fetch";
  id: number;
  /** Path and query on the guest's server. */
  path: string;
  method: string;
  headers: [string, string][];
  body?: Uint8Array;
}

export interface FrameFetchReply {
  type: "preview-fetch-reply";
  id: number;
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  /** Set when the guest gave no answer: the page's fetch rejects with it, as a browser's would. */
  error?: string;
}

/** The `<script>` to put first in the page's `<head>`. `routeBase` is e.g. `/preview/8080`. */
export function fetchShim(routeBase: string): string {
  const code = `(() => {
  if (window.parent === window || typeof window.fetch !== "function") return;
  const route = ${JSON.stringify(routeBase)};
  const pageFetch = window.fetch.bind(window);
  const waiting = new Map();
  let next = 1;
  window.addEventListener("message", (event) => {
    const d = event.data;
    if (event.source !== window.parent || !d || d.type !== "preview-fetch-reply") return;
    const w = waiting.get(d.id);
    if (!w) return;
    waiting.delete(d.id);
    if (d.error) return w.reject(new TypeError(d.error));
    const empty = [101, 204, 205, 304].includes(d.status);
    w.resolve(new Response(empty ? null : d.body, { status: d.status, statusText: d.statusText, headers: d.headers }));
  });
  window.fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.origin !== location.origin) return pageFetch(input, init);
    const path = (url.pathname.startsWith(route + "/") ? url.pathname.slice(route.length) : url.pathname) + url.search;
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : new Uint8Array(await request.arrayBuffer());
    const id = next++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      window.parent.postMessage({ type: "preview-fetch", id, path, method: request.method, headers: [...request.headers], body }, "*");
    });
  };
})();`;
  return `<script>${code.replace(/<\/script/gi, "<\\/script")}</script>`;
}

/** Puts the shim before anything else the page runs: after `<head>`, else at the very start. */
export function withFetchShim(html: string, routeBase: string): string {
  const shim = fetchShim(routeBase);
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head)
    return (
      html.slice(0, head.index + head[0].length) + shim + html.slice(head.index + head[0].length)
    );
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  if (doctype) return doctype[0] + shim + html.slice(doctype[0].length);
  return shim + html;
}
