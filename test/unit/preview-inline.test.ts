// The preview's page rewriting and the page's answers to the service worker, against a fake
// guest server: the lesson's game (HTML + CSS + JS), images, CSS url()s, links, failures.
import fs from "node:fs";
import vm from "node:vm";
import { describe, expect, it, vi } from "vitest";
import { inlineSubresources } from "../../src/vm/preview/inline.ts";
import { PreviewResponder, type PreviewRequestMessage } from "../../src/vm/preview/responder.ts";
import { fetchShim, withFetchShim } from "../../src/vm/preview/shim.ts";
import type { GuestHttpRequest, GuestHttpResponse } from "../../src/vm/protocol.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** data: URL → its bytes. */
function dataBytes(url: string): Uint8Array {
  const m = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(url)!;
  return Uint8Array.from(Buffer.from(m[3]!, m[2] ? "base64" : "utf8"));
}

type Files = Record<string, { type: string; body: string | Uint8Array }>;

function loaderFor(files: Files) {
  const asked: string[] = [];
  const load = async (path: string) => {
    asked.push(path);
    const f = files[path];
    return f
      ? { contentType: f.type, body: typeof f.body === "string" ? enc.encode(f.body) : f.body }
      : undefined;
  };
  return { load, asked };
}

const gameDir = new URL("../../lessons/08-copy-files/files/", import.meta.url);
const game = (name: string) => fs.readFileSync(new URL(name, gameDir), "utf8");

describe("inlineSubresources", () => {
  it("the lesson's game: style.css and game.js become data: URLs with their exact bytes", async () => {
    const { load, asked } = loaderFor({
      "/style.css": { type: "text/css", body: game("style.css") },
      "/game.js": { type: "application/javascript", body: game("game.js") },
    });
    const out = await inlineSubresources(game("index.html"), {
      path: "/",
      routeBase: "/preview/818",
      load,
    });
    expect(asked.sort()).toEqual(["/game.js", "/style.css"]);
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(out)![1]!;
    const js = /<script src="([^"]+)"/.exec(out)![1]!;
    expect(css.startsWith("data:text/css")).toBe(true);
    expect(js.startsWith("data:text/javascript;base64,")).toBe(true);
    expect(dec.decode(dataBytes(css))).toBe(game("style.css"));
    expect(dec.decode(dataBytes(js))).toBe(game("game.js"));
    // Everything else is untouched.
    expect(out.replace(css, "style.css").replace(js, "game.js")).toBe(game("index.html"));
  });

  it("relative to the page's folder; root-relative to the server; other hosts left alone", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255, 10, 13]);
    const { load, asked } = loaderFor({
      "/site/img/logo.png": { type: "image/png", body: png },
      "/shared.css": { type: "text/css", body: "body{background:url(bg.gif)}" },
      "/bg.gif": { type: "image/gif", body: "GIF89a" },
    });
    const html =
      `<img alt=logo src=img/logo.png><link rel=stylesheet href='/shared.css'>` +
      `<script src="https://cdn.example.com/x.js"></script><img src="data:image/gif;base64,R0lG">` +
      `<a href="/about">about</a> <a href="other.html">other</a> <a href="//example.com/">x</a>`;
    const out = await inlineSubresources(html, {
      path: "/site/index.html",
      routeBase: "/preview/8080",
      load,
    });
    expect(asked.sort()).toEqual(["/bg.gif", "/shared.css", "/site/img/logo.png"]);
    const img = /<img alt=logo src=([^>\s]+)>/.exec(out)![1]!;
    expect([...dataBytes(img)]).toEqual([...png]);
    expect(img.startsWith("data:image/png;base64,")).toBe(true);
    const sheet = dec.decode(dataBytes(/href='([^']+)'/.exec(out)![1]!));
    expect(sheet).toMatch(/^body\{background:url\("data:image\/gif;base64,R0lGODlh"\)\}$/);
    expect(out).toContain(`<script src="https://cdn.example.com/x.js">`);
    expect(out).toContain(`src="data:image/gif;base64,R0lG"`);
    expect(out).toContain(`<a href="/preview/8080/about">`);
    expect(out).toContain(`<a href="other.html">`);
    expect(out).toContain(`<a href="//example.com/">`);
  });

  it("style blocks and style attributes; a `<` inside a script is not a tag; comments skipped", async () => {
    const { load, asked } = loaderFor({ "/a.png": { type: "image/png", body: "A" } });
    const html =
      `<!-- <img src="commented.png"> --><style>h1{background:url('a.png')}</style>` +
      `<div style="background-image: url(a.png)"></div>` +
      `<script>if (1 < 2) document.write('<img src="x.png">')</script>`;
    const out = await inlineSubresources(html, { path: "/", routeBase: "/preview/80", load });
    expect(asked).toEqual(["/a.png"]);
    expect(out).toContain(`<style>h1{background:url("data:image/png;base64,QQ==")}</style>`);
    expect(out).toContain(`style="background-image: url(&quot;data:image/png;base64,QQ==&quot;)"`);
    expect(out).toContain(`<!-- <img src="commented.png"> -->`);
    expect(out).toContain(`document.write('<img src="x.png">')`);
  });

  it("a resource the server does not have keeps its URL", async () => {
    const { load } = loaderFor({});
    const html = `<link rel="stylesheet" href="missing.css"><img src="nope.png">`;
    expect(await inlineSubresources(html, { path: "/", routeBase: "/preview/80", load })).toBe(
      html,
    );
  });

  it("stops inlining past the byte budget", async () => {
    const { load } = loaderFor({ "/big.bin": { type: "video/mp4", body: new Uint8Array(2000) } });
    const html = `<video src="big.bin"></video>`;
    const out = await inlineSubresources(html, {
      path: "/",
      routeBase: "/preview/80",
      load,
      maxBytes: 1000,
    });
    expect(out).toBe(html);
  });
});

/** A fake guest: answers from a table, or fails the way the real client reports it. */
function fakeGuest(answers: Record<string, GuestHttpResponse>) {
  const requests: { port: number; request: GuestHttpRequest }[] = [];
  const http = async (port: number, request: GuestHttpRequest) => {
    requests.push({ port, request });
    return (
      answers[request.path] ?? {
        ok: true as const,
        status: 404,
        statusText: "Not Found",
        headers: [],
        body: new Uint8Array(0),
      }
    );
  };
  return { http, requests };
}

const text = () => ({
  title: "No answer",
  refused: (port: number) => `Nothing on ${port}`,
  reset: (port: number) => `Reset on ${port}`,
  timeout: (port: number) => `Slow ${port}`,
  error: (port: number, message: string) => `Error ${port}: ${message}`,
  hint: "Run <docker ps>",
});

const message = (over: Partial<PreviewRequestMessage> = {}): PreviewRequestMessage => ({
  type: "preview-request",
  port: 8080,
  path: "/",
  method: "GET",
  headers: [
    ["Accept", "text/html"],
    ["Cookie", "app=secret"],
  ],
  navigate: true,
  routeBase: "/preview/8080",
  ...over,
});

describe("PreviewResponder", () => {
  it("a page: subresources inlined, UTF-8, wire headers dropped, the app's cookie never sent", async () => {
    const guest = fakeGuest({
      "/": {
        ok: true,
        status: 200,
        statusText: "OK",
        headers: [
          ["Content-Type", "text/html; charset=iso-8859-1"],
          ["Content-Length", "40"],
          ["Connection", "close"],
          ["Server", "Apache"],
        ],
        body: Uint8Array.from([
          ...enc.encode("<p>caf"),
          0xe9,
          ...enc.encode('</p><img src="a.png">'),
        ]),
      },
      "/a.png": {
        ok: true,
        status: 200,
        statusText: "OK",
        headers: [["Content-Type", "image/png"]],
        body: enc.encode("PNG"),
      },
    });
    const reply = await new PreviewResponder(guest.http, text).answer(message());
    expect(reply.status).toBe(200);
    expect(reply.headers).toContainEqual(["Server", "Apache"]);
    expect(reply.headers).toContainEqual(["Content-Type", "text/html; charset=utf-8"]);
    expect(reply.headers.map(([n]) => n.toLowerCase())).not.toContain("content-length");
    expect(dec.decode(reply.body)).toBe(
      fetchShim("/preview/8080") + '<p>café</p><img src="data:image/png;base64,UE5H">',
    );
    const first = guest.requests[0]!.request;
    expect(first.headers?.map(([n]) => n)).toEqual(["Accept"]);
  });

  it("not a navigation, or not HTML: passed through byte for byte", async () => {
    const body = new Uint8Array([0, 1, 2, 255]);
    const guest = fakeGuest({
      "/data.bin": {
        ok: true,
        status: 200,
        statusText: "OK",
        headers: [["Content-Type", "application/octet-stream"]],
        body,
      },
    });
    const reply = await new PreviewResponder(guest.http, text).answer(
      message({ path: "/data.bin" }),
    );
    expect([...reply.body]).toEqual([...body]);
    expect(guest.requests).toHaveLength(1);
  });

  it("nothing listening: a 502 page that says so (escaped), marked for tests", async () => {
    const guest = fakeGuest({
      "/": { ok: false, reason: "refused", message: "nothing listens on localhost:8080" },
    });
    const reply = await new PreviewResponder(guest.http, text).answer(message());
    expect(reply.status).toBe(502);
    expect(reply.headers).toContainEqual(["X-Preview-Failure", "refused"]);
    const html = dec.decode(reply.body);
    expect(html).toContain("Nothing on 8080");
    expect(html).toContain("Run &lt;docker ps&gt;");
    expect(html).toContain('data-preview-failure="refused"');
  });

  it("a timeout is a 504", async () => {
    const guest = fakeGuest({ "/": { ok: false, reason: "timeout", message: "slow" } });
    const reply = await new PreviewResponder(guest.http, text).answer(message());
    expect(reply.status).toBe(504);
    expect(dec.decode(reply.body)).toContain("Slow 8080");
  });
});

describe("the fetch shim in the preview's pages", () => {
  it("goes first in <head>, or first of all", () => {
    const shim = fetchShim("/preview/80");
    expect(withFetchShim("<!doctype html><html><head><title>x</title>", "/preview/80")).toBe(
      `<!doctype html><html><head>${shim}<title>x</title>`,
    );
    expect(withFetchShim("<!DOCTYPE html><p>hi", "/preview/80")).toBe(
      `<!DOCTYPE html>${shim}<p>hi`,
    );
    expect(withFetchShim("<p>hi", "/preview/80")).toBe(`${shim}<p>hi`);
  });

  /** Runs the shim in a window-like context inside a frame; returns its fetch and the posts. */
  function framedPage() {
    const posted: { data: Record<string, unknown>; target: string }[] = [];
    const listeners: ((event: { source: unknown; data: unknown }) => void)[] = [];
    const parent = {
      postMessage: (data: Record<string, unknown>, target: string) => posted.push({ data, target }),
    };
    const window: Record<string, unknown> = {
      parent,
      fetch: async () => "from the network",
      addEventListener: (_type: string, fn: (event: { source: unknown; data: unknown }) => void) =>
        listeners.push(fn),
    };
    window.window = window;
    const code = fetchShim("/preview/8080").replace(/^<script>|<\/script>$/g, "");
    vm.runInContext(
      code,
      vm.createContext({
        window,
        location: { origin: "http://app.test" },
        Request,
        Response,
        URL,
        Map,
        TypeError,
        Uint8Array,
        Promise,
      }),
    );
    const fetch = window.fetch as (input: string, init?: RequestInit) => Promise<Response | string>;
    const reply = (data: unknown, source: unknown = parent) =>
      listeners.forEach((l) => l({ source, data }));
    return { fetch, posted, reply, parent };
  }

  it("a same-server fetch goes to the app around the frame and gets the guest's answer", async () => {
    const page = framedPage();
    const pending = page.fetch("http://app.test/preview/8080/api/items?x=1", {
      method: "POST",
      body: "a=1",
    });
    await vi.waitFor(() => expect(page.posted).toHaveLength(1));
    const { data, target } = page.posted[0]!;
    expect(target).toBe("*");
    expect(data).toMatchObject({ type: "preview-fetch", path: "/api/items?x=1", method: "POST" });
    expect(dec.decode(data.body as Uint8Array)).toBe("a=1");
    // A reply from anyone but the parent is ignored.
    page.reply(
      {
        type: "preview-fetch-reply",
        id: data.id,
        status: 500,
        statusText: "",
        headers: [],
        body: new Uint8Array(),
      },
      {},
    );
    page.reply({
      type: "preview-fetch-reply",
      id: data.id,
      status: 201,
      statusText: "Created",
      headers: [["Content-Type", "application/json"]],
      body: enc.encode('{"ok":true}'),
    });
    const res = (await pending) as Response;
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("root-relative paths are the guest's; other hosts use the page's own fetch; no answer rejects", async () => {
    const page = framedPage();
    expect(await page.fetch("https://example.com/x.json")).toBe("from the network");
    const pending = page.fetch("http://app.test/api");
    await vi.waitFor(() => expect(page.posted).toHaveLength(1));
    expect(page.posted[0]!.data.path).toBe("/api");
    page.reply({
      type: "preview-fetch-reply",
      id: page.posted[0]!.data.id,
      error: "nothing listens",
      status: 0,
      statusText: "",
      headers: [],
      body: new Uint8Array(),
    });
    await expect(pending).rejects.toThrow("nothing listens");
  });
});
