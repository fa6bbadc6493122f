// Makes a page from the guest load inside the sandboxed preview. The preview's documents get an
// opaque origin (so they cannot read the app's storage), and browsers do not route an opaque
// document's own requests through the service worker: its `<link>`, `<script src>` and `<img>`
// would go to the static host and 404. So before the page is shown, every same-server
// subresource is fetched from the guest and written into the HTML as a data: URL (CSS url()s
// too). Root-relative links are pointed at the preview route so navigation stays inside it.
// DOM-free (a small tag scanner, not a parser): the worker, the page and Node tests share it.

/** Fetches one path (with query) from the same server; undefined when it cannot be had. */
export type LoadResource = (
  path: string,
) => Promise<{ contentType: string; body: Uint8Array } | undefined>;

export interface InlineOptions {
  /** The page's path on the guest server, e.g. `/games/index.html` (relative URLs resolve here). */
  path: string;
  /** Where the preview route for this port starts, e.g. `/preview/8080` (no trailing slash). */
  routeBase: string;
  load: LoadResource;
  /** Stop inlining past this many bytes in total (a page of videos stays usable). */
  maxBytes?: number;
}

interface Attr {
  name: string;
  value: string;
  /** Span of the value in the source (quotes excluded); -1 when the attribute has no value. */
  start: number;
  end: number;
}

interface Tag {
  name: string;
  attrs: Attr[];
  /** Index just past the tag's `>`. */
  end: number;
}

interface Edit {
  start: number;
  end: number;
  text: Promise<string | undefined>;
}

const ORIGIN = "http://guest.invalid";
const dec = new TextDecoder();

/** Kinds of attribute that load something into this page. */
function loaderKind(tag: Tag, attr: Attr): "script" | "css" | "media" | "link" | undefined {
  const name = attr.name;
  const get = (n: string) => tag.attrs.find((a) => a.name === n)?.value.toLowerCase() ?? "";
  switch (tag.name) {
    case "script":
      return name === "src" ? "script" : undefined;
    case "link": {
      if (name !== "href") return undefined;
      const rel = get("rel").split(/\s+/);
      if (rel.includes("stylesheet")) return "css";
      if (rel.some((r) => r === "icon" || r === "apple-touch-icon")) return "media";
      return undefined;
    }
    case "img":
    case "source":
    case "audio":
    case "track":
    case "embed":
      return name === "src" ? "media" : undefined;
    case "video":
      return name === "src" || name === "poster" ? "media" : undefined;
    case "input":
      return name === "src" && get("type") === "image" ? "media" : undefined;
    case "a":
    case "area":
      return name === "href" ? "link" : undefined;
    case "form":
      return name === "action" ? "link" : undefined;
    case "iframe":
      return name === "src" ? "link" : undefined;
    default:
      return undefined;
  }
}

/** Rewrites the page's HTML; resources that cannot be fetched keep their original URL. */
export async function inlineSubresources(html: string, opts: InlineOptions): Promise<string> {
  const docUrl = new URL(opts.path, ORIGIN);
  const budget = { left: opts.maxBytes ?? 20 * 1024 * 1024 };
  const cache = new Map<string, Promise<{ contentType: string; body: Uint8Array } | undefined>>();
  const load = (url: URL) => {
    const key = url.pathname + url.search;
    let hit = cache.get(key);
    if (!hit) cache.set(key, (hit = opts.load(key).catch(() => undefined)));
    return hit;
  };
  const ctx: Ctx = { load, budget, routeBase: opts.routeBase };
  const edits: Edit[] = [];
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf("<", i);
    if (lt < 0) break;
    if (html.startsWith("<!--", lt)) {
      const close = html.indexOf("-->", lt + 4);
      i = close < 0 ? html.length : close + 3;
      continue;
    }
    const tag = readTag(html, lt);
    if (!tag) {
      i = lt + 1;
      continue;
    }
    i = tag.end;
    const base = docUrl;
    for (const attr of tag.attrs) {
      if (attr.start < 0) continue;
      if (attr.name === "style" && /url\(/i.test(attr.value)) {
        edits.push({
          start: attr.start,
          end: attr.end,
          text: rewriteCss(decodeEntities(attr.value), base, ctx).then(escapeAttr),
        });
        continue;
      }
      const kind = loaderKind(tag, attr);
      if (!kind) continue;
      const raw = decodeEntities(attr.value).trim();
      if (kind === "link") {
        // Root-relative: the guest's `/about` is the preview's `/preview/PORT/about`.
        if (raw.startsWith("/") && !raw.startsWith("//"))
          edits.push({
            start: attr.start,
            end: attr.end,
            text: Promise.resolve(escapeAttr(opts.routeBase + raw)),
          });
        continue;
      }
      const url = sameServer(raw, base);
      if (!url) continue;
      edits.push({
        start: attr.start,
        end: attr.end,
        text: dataUrlFor(url, kind, ctx).then((d) => d && escapeAttr(d)),
      });
    }
    // Raw text elements: skip their content (a `<` in a script is not a tag); rewrite CSS.
    if ((tag.name === "script" || tag.name === "style") && !html.startsWith("/>", tag.end - 2)) {
      const close = indexOfCi(html, `</${tag.name}`, tag.end);
      const stop = close < 0 ? html.length : close;
      if (tag.name === "style" && /url\(|@import/i.test(html.slice(tag.end, stop))) {
        edits.push({
          start: tag.end,
          end: stop,
          text: rewriteCss(html.slice(tag.end, stop), docUrl, ctx),
        });
      }
      i = stop;
    }
  }
  if (edits.length === 0) return html;
  const texts = await Promise.all(edits.map((e) => e.text));
  let out = "";
  let at = 0;
  edits.forEach((edit, n) => {
    const text = texts[n];
    if (text === undefined) return;
    out += html.slice(at, edit.start) + text;
    at = edit.end;
  });
  return out + html.slice(at);
}

interface Ctx {
  load(url: URL): Promise<{ contentType: string; body: Uint8Array } | undefined>;
  budget: { left: number };
  routeBase: string;
}

async function dataUrlFor(
  url: URL,
  kind: "script" | "css" | "media",
  ctx: Ctx,
  depth = 0,
): Promise<string | undefined> {
  const got = await ctx.load(url);
  if (!got || got.body.length > ctx.budget.left) return undefined;
  ctx.budget.left -= got.body.length;
  if (kind === "css") {
    const css = await rewriteCss(dec.decode(got.body), url, ctx, depth + 1);
    return `data:text/css;charset=utf-8;base64,${base64(new TextEncoder().encode(css))}`;
  }
  const type =
    kind === "script"
      ? "text/javascript"
      : got.contentType.split(";")[0]!.trim() || "application/octet-stream";
  return `data:${type};base64,${base64(got.body)}`;
}

const CSS_URL =
  /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')/gi;

/** url(...) and @import "..." in CSS become data: URLs (fonts, images, nested sheets). */
async function rewriteCss(css: string, base: URL, ctx: Ctx, depth = 0): Promise<string> {
  const parts: (string | Promise<string>)[] = [];
  let at = 0;
  for (const m of css.matchAll(CSS_URL)) {
    const isImport = m[4] !== undefined || m[5] !== undefined;
    const raw = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? "").trim();
    const url = raw.startsWith("data:") ? undefined : sameServer(raw, base);
    if (!url || (isImport && depth > 3)) continue;
    parts.push(css.slice(at, m.index));
    at = m.index + m[0].length;
    const original = m[0];
    parts.push(
      dataUrlFor(url, isImport ? "css" : "media", ctx, depth).then((d) =>
        d ? (isImport ? `@import url("${d}")` : `url("${d}")`) : original,
      ),
    );
  }
  parts.push(css.slice(at));
  return (await Promise.all(parts)).join("");
}

/** A URL on the page's own server (the guest port), or undefined for other hosts and schemes. */
function sameServer(raw: string, base: URL): URL | undefined {
  if (!raw || raw.startsWith("#")) return undefined;
  try {
    const url = new URL(raw, base);
    return url.origin === base.origin ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `<name attr=value ...>` at `lt`; undefined when it is not a start tag. */
function readTag(html: string, lt: number): Tag | undefined {
  const m = /^<([a-zA-Z][^\s/>]*)/.exec(html.slice(lt, lt + 64));
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  const attrs: Attr[] = [];
  let i = lt + m[0].length;
  const n = html.length;
  while (i < n) {
    while (i < n && /[\s/]/.test(html[i]!)) i++;
    if (i >= n) break;
    if (html[i] === ">") return { name, attrs, end: i + 1 };
    const nameStart = i;
    while (i < n && !/[\s/>=]/.test(html[i]!)) i++;
    const attrName = html.slice(nameStart, i).toLowerCase();
    while (i < n && /\s/.test(html[i]!)) i++;
    if (html[i] !== "=") {
      attrs.push({ name: attrName, value: "", start: -1, end: -1 });
      continue;
    }
    i++;
    while (i < n && /\s/.test(html[i]!)) i++;
    const q = html[i];
    if (q === '"' || q === "'") {
      const close = html.indexOf(q, i + 1);
      if (close < 0) return undefined;
      attrs.push({ name: attrName, value: html.slice(i + 1, close), start: i + 1, end: close });
      i = close + 1;
    } else {
      const start = i;
      while (i < n && !/[\s>]/.test(html[i]!)) i++;
      attrs.push({ name: attrName, value: html.slice(start, i), start, end: i });
    }
  }
  return undefined;
}

function indexOfCi(html: string, needle: string, from: number): number {
  const lower = needle.toLowerCase();
  for (let i = html.indexOf("</", from); i >= 0; i = html.indexOf("</", i + 2))
    if (html.slice(i, i + lower.length).toLowerCase() === lower) return i;
  return -1;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">");
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
