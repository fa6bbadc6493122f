// A small static file server for the built app (dist/) and the guest artifacts, with HTTP Range
// (206) support that v86's async disk needs. Used by `npm start`, the dev-server plugin, the
// end-to-end tests and the browser benchmark (which can add per-request latency and a bandwidth cap).

import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * @typedef {object} Throttle
 * @property {number} [delayMs] added before each response (a round trip)
 * @property {number} [mbps] bandwidth cap in Mbit/s, shared by all responses
 */

/**
 * @typedef {object} ServeStats
 * @property {number} requests
 * @property {number} bytes body bytes sent
 * @property {Map<string, {requests: number, bytes: number}>} byPath
 */

/** @typedef {(pathname: string) => number | undefined} Cut */

/** @returns {ServeStats} */
export function newStats() {
  return { requests: 0, bytes: 0, byPath: new Map() };
}

/**
 * Serves files under `root` for URLs under `prefix`. Calls `next()` when the file does not exist,
 * so it composes with Vite's middlewares.
 * @param {string} root
 * `cut` (tests): for a path it names, the response stops after that many body bytes and the
 * connection drops, as a broken network would leave it.
 * @param {{prefix?: string, throttle?: Throttle, stats?: ServeStats, spa?: boolean, cut?: Cut}} [options]
 */
export function staticHandler(root, options = {}) {
  const prefix = options.prefix ?? "/";
  const throttle = options.throttle ?? {};
  const stats = options.stats;
  const link = new Link(throttle.mbps);
  const absRoot = path.resolve(root);

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {() => void} [next]
   */
  return async function handle(req, res, next) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith(prefix) || (req.method !== "GET" && req.method !== "HEAD"))
      return next ? next() : notFound(res);
    let rel = decodeURIComponent(url.pathname.slice(prefix.length));
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    const file = path.resolve(absRoot, rel);
    if (!file.startsWith(absRoot + path.sep)) return notFound(res);
    let stat;
    try {
      stat = await fs.promises.stat(file);
      if (!stat.isFile()) throw new Error("not a file");
    } catch {
      return next ? next() : notFound(res);
    }
    if (throttle.delayMs) await new Promise((r) => setTimeout(r, throttle.delayMs));

    const type = TYPES[path.extname(file)] ?? "application/octet-stream";
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    res.setHeader("Content-Type", type);
    res.setHeader("Accept-Ranges", "bytes");
    res.setHeader("ETag", etag);
    res.setHeader("Last-Modified", stat.mtime.toUTCString());
    // Hashed build assets and states named by their hash never change; everything else revalidates.
    const immutable = /\/assets\/|\/vm\/state\//.test(url.pathname) || rel.startsWith("state/");
    res.setHeader("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");

    let start = 0;
    let end = stat.size - 1;
    const range = req.headers.range;
    if (range) {
      const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (!match || (match[1] === "" && match[2] === "")) return unsatisfiable(res, stat.size);
      if (match[1] === "") {
        start = Math.max(0, stat.size - Number(match[2]));
      } else {
        start = Number(match[1]);
        if (match[2] !== "") end = Math.min(end, Number(match[2]));
      }
      if (start > end || start >= stat.size) return unsatisfiable(res, stat.size);
      res.statusCode = 206;
      res.setHeader("Content-Range", `bytes ${start}-${end}/${stat.size}`);
    } else if (req.headers["if-none-match"] === etag) {
      res.statusCode = 304;
      count(stats, url.pathname, 0);
      return res.end();
    } else {
      res.statusCode = 200;
    }
    const length = end - start + 1;
    res.setHeader("Content-Length", String(length));
    if (req.method === "HEAD") return res.end();
    count(stats, url.pathname, length);
    const cutAt = options.cut?.(url.pathname);
    if (cutAt !== undefined && cutAt < length) end = start + cutAt - 1;
    const stream = fs.createReadStream(file, { start, end, highWaterMark: 256 * 1024 });
    if (cutAt !== undefined && cutAt < length) {
      stream.on("end", () => res.destroy());
      return void stream.pipe(res, { end: false });
    }
    stream.on("error", () => res.destroy());
    if (!throttle.mbps) return void stream.pipe(res);
    for await (const chunk of stream) {
      await link.take(chunk.length);
      if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
    }
    res.end();
  };
}

/** A shared bandwidth budget: responses queue for the link like on a real connection. */
class Link {
  /** @param {number | undefined} mbps */
  constructor(mbps) {
    this.bytesPerMs = mbps ? (mbps * 1e6) / 8 / 1000 : 0;
    this.freeAt = 0;
  }
  /** @param {number} bytes */
  async take(bytes) {
    if (!this.bytesPerMs) return;
    const now = performance.now();
    this.freeAt = Math.max(this.freeAt, now) + bytes / this.bytesPerMs;
    const wait = this.freeAt - now;
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  }
}

/** @param {ServeStats | undefined} stats @param {string} pathname @param {number} bytes */
function count(stats, pathname, bytes) {
  if (!stats) return;
  stats.requests++;
  stats.bytes += bytes;
  const entry = stats.byPath.get(pathname) ?? { requests: 0, bytes: 0 };
  entry.requests++;
  entry.bytes += bytes;
  stats.byPath.set(pathname, entry);
}

/** @param {http.ServerResponse} res */
function notFound(res) {
  res.statusCode = 404;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.end("not found\n");
}

/** @param {http.ServerResponse} res @param {number} size */
function unsatisfiable(res, size) {
  res.statusCode = 416;
  res.setHeader("Content-Range", `bytes */${size}`);
  res.end();
}

/**
 * Serves a built app: `dist/` at `/`, and (when the build did not copy them) the guest artifacts
 * from vm-images/out at `/vm/`.
 * @param {{dist: string, vm?: string, throttle?: Throttle, stats?: ServeStats, cut?: Cut}} options
 */
export function createAppServer(options) {
  const { throttle, stats, cut } = options;
  const app = staticHandler(options.dist, { throttle, stats, cut });
  const vm = options.vm
    ? staticHandler(options.vm, { prefix: "/vm/", throttle, stats, cut })
    : undefined;
  return http.createServer((req, res) => {
    const fallback = () => (vm ? vm(req, res) : notFound(res));
    void app(req, res, fallback);
  });
}

/**
 * Vite plugin: `/vm/...` from vm-images/out in `vite` and `vite preview`, the guest manifests as
 * the `virtual:guest` module, and the artifacts linked (or copied) into dist/vm on `vite build`.
 * Add it to both `plugins` and `worker.plugins` (the VM worker imports `virtual:guest`); the
 * worker copy passes `{copy: false}`.
 * Also serves the bundled images (images-out/) at `/images/` and copies them to dist/images.
 * @param {{out?: string, images?: string, copy?: boolean}} [options]
 * @returns {import("vite").Plugin}
 */
export function guestPlugin(options = {}) {
  const out = path.resolve(options.out ?? "vm-images/out");
  const imagesDir = path.resolve(options.images ?? path.join(out, "../../images-out"));
  const id = "virtual:guest";
  /** @type {string | undefined} */
  let distDir;
  // start.mjs adds this plugin inline; if vite.config.ts has it too, only the first one acts.
  let active = true;
  /** @type {import("vite").Plugin} */
  const plugin = {
    name: "docker-sandbox:guest",
    resolveId(source) {
      return active && source === id ? "\0" + id : undefined;
    },
    load(resolved) {
      if (resolved !== "\0" + id) return undefined;
      const guestFile = path.join(out, "guest/manifest.json");
      this.addWatchFile(guestFile);
      const guest = readJson(guestFile);
      const stateFile = guest ? path.join(out, `state/${guest.hash}.json`) : undefined;
      if (stateFile) this.addWatchFile(stateFile);
      const state = stateFile ? readJson(stateFile) : null;
      return `export const guest = ${JSON.stringify(guest)};\nexport const state = ${JSON.stringify(state)};\n`;
    },
    configResolved(config) {
      active = config.plugins.find((p) => p.name === plugin.name) === plugin;
      distDir = path.resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      if (!active) return;
      server.middlewares.use(staticHandler(out, { prefix: "/vm/" }));
      server.middlewares.use(staticHandler(imagesDir, { prefix: "/images/" }));
    },
    configurePreviewServer(server) {
      if (!active) return;
      server.middlewares.use(staticHandler(out, { prefix: "/vm/" }));
      server.middlewares.use(staticHandler(imagesDir, { prefix: "/images/" }));
    },
    closeBundle() {
      if (!active || !distDir || options.copy === false) return;
      const guest = readJson(path.join(out, "guest/manifest.json"));
      if (!guest) {
        this.warn(
          "vm-images/out/guest has no manifest.json: dist/ has no guest (run npm run build:guest)",
        );
        return;
      }
      const files = Object.values(guest.files).map((f) => `guest/${f.file}`);
      files.push("guest/manifest.json");
      const state = readJson(path.join(out, `state/${guest.hash}.json`));
      if (state) {
        files.push(`state/${guest.hash}.json`, `state/${state.file}`);
        for (const pack of [state.bootPack, state.warmPack, state.restPack])
          if (pack) files.push(`state/${pack.file}`);
      }
      for (const rel of files) linkOrCopy(path.join(out, rel), path.join(distDir, "vm", rel));
      if (fs.existsSync(path.join(imagesDir, "index.json"))) {
        for (const rel of fs.readdirSync(imagesDir, { recursive: true, encoding: "utf8" })) {
          const from = path.join(imagesDir, rel);
          if (fs.statSync(from).isFile()) linkOrCopy(from, path.join(distDir, "images", rel));
        }
      } else {
        this.warn(
          "images-out/index.json missing: dist/ has no bundled images (npm run build:images)",
        );
      }
    },
  };
  return plugin;
}

/** @param {string} file */
function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** Hard links keep a 2 GB sparse disk image from being copied on every build. */
function linkOrCopy(/** @type {string} */ from, /** @type {string} */ to) {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.rmSync(to, { force: true });
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}
