// The page's half of the preview route: the service worker (public/preview-sw.js) hands each
// `/preview/PORT/PATH` request to the page that runs the machine, and this answers it with HTTP
// into the guest. Pages get their subresources inlined (see inline.ts); failures become a short
// page that says what happened, in the learner's language. DOM-free.
import type { GuestHttpRequest, GuestHttpResponse } from "../protocol.ts";
import { inlineSubresources } from "./inline.ts";
import { withFetchShim } from "./shim.ts";

/** What the service worker posts (one MessagePort rides along for the answer). */
export interface PreviewRequestMessage {
  type: "preview-request";
  port: number;
  /** Path and query on the guest's server. */
  path: string;
  method: string;
  headers: [string, string][];
  body?: Uint8Array;
  /** A document load (navigation): HTML gets its subresources inlined. */
  navigate: boolean;
  /** Where the route for this port starts, e.g. `/preview/8080`. */
  routeBase: string;
}

export interface PreviewReply {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
}

export type GuestHttp = (port: number, request: GuestHttpRequest) => Promise<GuestHttpResponse>;

/** The text of the page shown when the guest gives no answer. */
export interface PreviewFailureText {
  title: string;
  refused(port: number): string;
  reset(port: number): string;
  timeout(port: number): string;
  error(port: number, message: string): string;
  hint: string;
}

/** Request headers that must not reach the guest: they are the app's, not the learner's site's. */
const DROP_REQUEST = new Set(["cookie", "authorization", "service-worker", "origin", "referer"]);
/** Response headers that describe the wire, not the content; the body is re-framed. */
const DROP_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-encoding",
  "content-length",
]);

export class PreviewResponder {
  constructor(
    readonly http: GuestHttp,
    readonly text: () => PreviewFailureText,
  ) {}

  async answer(msg: PreviewRequestMessage): Promise<PreviewReply> {
    const headers = msg.headers.filter(([n]) => !DROP_REQUEST.has(n.toLowerCase()));
    const res = await this.http(msg.port, {
      method: msg.method,
      path: msg.path,
      headers,
      body: msg.body,
    });
    if (!res.ok) return this.failurePage(msg.port, res);
    let body = res.body;
    let outHeaders = res.headers.filter(([n]) => !DROP_RESPONSE.has(n.toLowerCase()));
    const type = header(res.headers, "content-type") ?? "";
    if (msg.navigate && msg.method.toUpperCase() === "GET" && /^text\/html/i.test(type)) {
      const html = decode(body, type);
      const rewritten = await inlineSubresources(html, {
        path: msg.path,
        routeBase: msg.routeBase,
        load: async (path) => {
          const r = await this.http(msg.port, {
            method: "GET",
            path,
            headers: [["Accept", "*/*"]],
          });
          if (!r.ok || r.status !== 200) return undefined;
          return { contentType: header(r.headers, "content-type") ?? "", body: r.body };
        },
      });
      body = new TextEncoder().encode(withFetchShim(rewritten, msg.routeBase));
      outHeaders = outHeaders.filter(([n]) => n.toLowerCase() !== "content-type");
      outHeaders.push(["Content-Type", "text/html; charset=utf-8"]);
    }
    return { status: res.status, statusText: res.statusText, headers: outHeaders, body };
  }

  failurePage(port: number, res: Extract<GuestHttpResponse, { ok: false }>): PreviewReply {
    const t = this.text();
    const line =
      res.reason === "refused"
        ? t.refused(port)
        : res.reason === "reset"
          ? t.reset(port)
          : res.reason === "timeout"
            ? t.timeout(port)
            : t.error(port, res.message);
    const html =
      `<!doctype html><meta charset="utf-8"><title>${esc(t.title)}</title>` +
      `<body style="font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#333" data-preview-failure="${res.reason}">` +
      `<h1 style="font-size:1.2rem">${esc(t.title)}</h1><p>${esc(line)}</p><p>${esc(t.hint)}</p>`;
    return {
      status: res.reason === "timeout" ? 504 : 502,
      statusText: res.reason === "timeout" ? "Gateway Timeout" : "Bad Gateway",
      headers: [
        ["Content-Type", "text/html; charset=utf-8"],
        ["X-Preview-Failure", res.reason],
      ],
      body: new TextEncoder().encode(html),
    };
  }
}

export function header(headers: [string, string][], name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function decode(body: Uint8Array, contentType: string): string {
  const charset = /charset=([^;\s]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body);
  } catch {
    return new TextDecoder().decode(body);
  }
}

function esc(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
