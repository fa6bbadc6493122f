#!/usr/bin/env node
// Builds the bundled container images (hello-world, busybox, debian, nginx, httpd, whalesay, ...)
// from Debian 12 i386 packages into images-out/, as Docker v2 schema2 manifests, image configs
// and gzip layers stored by digest, plus images-out/index.json for the in-page registry.
//
//   node scripts/build-images.mjs                 build from vm-images/images/packages.lock.json
//   node scripts/build-images.mjs --update-lock   resolve the recipes' packages with apt, rewrite the lock
//   node scripts/build-images.mjs --only nginx    build one recipe (and what it is built from)
//
// Reproducible: every .deb is fetched by the URL and sha256 in the lock, layers are tars with
// sorted names, fixed mtime and numeric owners, gzip without timestamp. No root needed: the
// extraction and tarring run under fakeroot so package file owners and modes are kept.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RECIPES = path.join(ROOT, "vm-images/images");
const LOCK = path.join(RECIPES, "packages.lock.json");
const CACHE = path.join(ROOT, "vm-images/cache/images");
const OUT = path.join(ROOT, "images-out");
const WORK = path.join(CACHE, "work");

/** Every file in every layer gets this mtime, and every config this `created` date. */
const EPOCH = 1735689600; // 2025-01-01T00:00:00Z
const CREATED = new Date(EPOCH * 1000).toISOString().replace(".000Z", "Z");

const MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const MT_CONFIG = "application/vnd.docker.container.image.v1+json";
const MT_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/** Trimmed from every package, as slim images do; copyright files stay. */
const TRIM = [
  "usr/share/man",
  "usr/share/info",
  "usr/share/locale",
  "usr/share/lintian",
  "usr/share/linda",
  "usr/share/bug",
  "usr/share/menu",
  "usr/share/doc-base",
  "usr/share/bash-completion",
  "usr/share/zsh",
];

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

export class BuildError extends Error {}

function fail(message) {
  throw new BuildError(`build-images: ${message}`);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${argv.join(" ")} exited ${r.status}\n${r.stderr || ""}`);
  return r.stdout;
}

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
function sha256File(file) {
  const h = createHash("sha256");
  const fd = fs.openSync(file, "r");
  const chunk = Buffer.alloc(1 << 20);
  for (let n; (n = fs.readSync(fd, chunk)) > 0;) h.update(chunk.subarray(0, n));
  fs.closeSync(fd);
  return h.digest("hex");
}

// ---------------------------------------------------------------------------
// Recipes
// ---------------------------------------------------------------------------

/**
 * @typedef {{ created_by: string, comment?: string, packages?: string[], only?: Record<string,string[]>,
 *   copy?: string, script?: string, generate?: string, empty_layer?: boolean }} LayerRecipe
 * @typedef {{ name: string, dir: string, repository: string, tags: string[], description: string,
 *   from?: string, layers: LayerRecipe[], config: Record<string, unknown>, extra_history?: {created_by:string}[] }} ImageRecipe
 */

/** @returns {Map<string, ImageRecipe>} */
export function loadRecipes() {
  const recipes = new Map();
  for (const name of fs.readdirSync(RECIPES).sort()) {
    const dir = path.join(RECIPES, name);
    const file = path.join(dir, "recipe.json");
    if (!fs.existsSync(file)) continue;
    let r;
    try {
      r = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      fail(`${path.relative(ROOT, file)}: ${e.message}`);
    }
    for (const key of ["repository", "tags", "description", "layers", "config"]) {
      if (r[key] === undefined) fail(`${path.relative(ROOT, file)}: missing "${key}"`);
    }
    recipes.set(name, { name, dir, ...r });
  }
  for (const r of recipes.values()) {
    if (r.from && !recipes.has(r.from))
      fail(`${r.name}/recipe.json: "from": unknown image "${r.from}"`);
  }
  return recipes;
}

export function packagesOf(recipes) {
  const all = new Set();
  for (const r of recipes.values())
    for (const l of r.layers) for (const p of l.packages ?? []) all.add(p);
  return [...all].sort();
}

// ---------------------------------------------------------------------------
// Lock: resolve with apt (signed indexes) once; builds fetch by URL + sha256 only.
// ---------------------------------------------------------------------------

function aptOptions() {
  const dir = path.join(CACHE, "apt");
  for (const d of ["lists/partial", "cache/archives/partial"])
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  const status = path.join(dir, "status");
  if (!fs.existsSync(status)) fs.writeFileSync(status, "");
  return [
    "-oAPT::Architecture=i386",
    "-oAPT::Architectures=i386",
    `-oDir::State::Lists=${dir}/lists`,
    `-oDir::Cache=${dir}/cache`,
    `-oDir::State::status=${status}`,
    `-oDir::Etc::SourceList=${path.join(RECIPES, "sources.list")}`,
    "-oDir::Etc::SourceParts=/dev/null",
    "-oDebug::NoLocking=1",
    "-oAcquire::Retries=3",
  ];
}

function updateLock(recipes) {
  const o = aptOptions();
  const upd = spawnSync("apt-get", [...o, "update"], { encoding: "utf8" });
  // A mirror mid-sync can fail one index; resolution still works from the others, so warn only.
  if (upd.status !== 0 || /^(E|Err):/m.test(upd.stdout + upd.stderr)) {
    console.warn(
      `build-images: warning: apt-get update reported errors:\n${(upd.stdout + upd.stderr)
        .split("\n")
        .filter((l) => /^(E|Err|W):/.test(l))
        .join("\n")}`,
    );
  }
  const names = packagesOf(recipes);
  const out = run("apt-get", [...o, "download", "--print-uris", ...names]);
  const packages = {};
  for (const line of out.trim().split("\n")) {
    const m = line.match(/^'([^']+)' (\S+) (\d+) SHA256:([0-9a-f]{64})$/);
    if (!m) fail(`unexpected apt-get output: ${line}`);
    const [, url, file, size, hash] = m;
    const [pkg, ver, archDeb] = file.split("_");
    packages[pkg] = {
      version: decodeURIComponent(ver),
      arch: archDeb.replace(/\.deb$/, ""),
      url,
      size: Number(size),
      sha256: hash,
    };
  }
  for (const n of names) if (!packages[n]) fail(`apt did not resolve package ${n}`);
  const lock = {
    comment:
      "Written by `node scripts/build-images.mjs --update-lock`. Builds fetch exactly these files.",
    suite: "Debian 12 (bookworm) i386",
    packages,
  };
  fs.writeFileSync(LOCK, JSON.stringify(lock, null, 2) + "\n");
  console.log(`build-images: wrote ${path.relative(ROOT, LOCK)} (${names.length} packages)`);
}

async function fetchDebs(names, lock) {
  const dir = path.join(CACHE, "debs");
  fs.mkdirSync(dir, { recursive: true });
  const files = {};
  for (const n of names) {
    const p = lock.packages[n];
    if (!p) fail(`package ${n} is used by a recipe but not in the lock: run with --update-lock`);
    const file = path.join(dir, `${n}_${p.version.replace(/:/g, "%3a")}_${p.arch}.deb`);
    if (!fs.existsSync(file) || sha256File(file) !== p.sha256) {
      const res = await fetch(p.url).catch((e) => fail(`fetch ${p.url}: ${e.message}`));
      if (!res.ok) {
        fail(
          `fetch ${p.url}: HTTP ${res.status} (version ${p.version} gone from the archive? run with --update-lock)`,
        );
      }
      const buf = Buffer.from(await res.arrayBuffer());
      const got = sha256(buf);
      if (got !== p.sha256) fail(`${n} ${p.version}: sha256 ${got} != locked ${p.sha256}`);
      fs.writeFileSync(file + ".part", buf);
      fs.renameSync(file + ".part", file);
      console.log(`  fetched ${path.basename(file)} (${buf.length} B)`);
    }
    files[n] = file;
  }
  return files;
}

// ---------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------

const sh = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * Builds one layer: a shell program run under fakeroot extracts the packages into an empty
 * tree (with merged-/usr symlinks so bin/ lands in usr/bin), trims docs, copies the recipe's
 * files, runs the recipe's script, then writes a deterministic tar.
 */
function buildLayer(recipe, index, layer, debs, lowerDirs, dpkgStatus) {
  const id = `${recipe.name}-${index}`;
  const tree = path.join(WORK, id);
  const tarFile = path.join(WORK, `${id}.tar`);
  fs.rmSync(tree, { recursive: true, force: true });
  fs.mkdirSync(tree, { recursive: true });
  const lines = ["set -eu", `cd ${sh(tree)}`];
  if (layer.merged_usr) {
    lines.push(
      "mkdir -p usr/bin usr/sbin usr/lib",
      "ln -s usr/bin bin",
      "ln -s usr/sbin sbin",
      "ln -s usr/lib lib",
    );
  }
  const pkgs = layer.packages ?? [];
  if (pkgs.length) {
    // Upper layers do not carry the merged-/usr links (they are in the base layer), so each
    // package goes to a scratch tree that has them, and is then moved in.
    lines.push(
      `S=${sh(tree + ".x")}`,
      `rm -rf "$S"`,
      'mkdir -p "$S/usr/bin" "$S/usr/sbin" "$S/usr/lib"',
      'ln -s usr/bin "$S/bin"',
      'ln -s usr/sbin "$S/sbin"',
      'ln -s usr/lib "$S/lib"',
    );
    for (const p of pkgs) {
      const only = layer.only?.[p];
      const members = only ? only.map((m) => sh("./" + m.replace(/^\.?\//, ""))).join(" ") : "";
      lines.push(
        `dpkg-deb --fsys-tarfile ${sh(debs[p])} | tar -x --keep-directory-symlink -C "$S" ${members}`,
      );
    }
    for (const t of TRIM) lines.push(`rm -rf "$S"/${sh(t)}`);
    lines.push(
      `find "$S/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true`,
      `find "$S/usr/share/doc" -depth -type d -empty -delete 2>/dev/null || true`,
      'rm -f "$S/bin" "$S/sbin" "$S/lib"',
      'rmdir "$S/usr/bin" "$S/usr/sbin" "$S/usr/lib" "$S/usr" 2>/dev/null || true',
      `(cd "$S" && tar -c --sort=name .) | tar -x --keep-directory-symlink -C .`,
      'rm -rf "$S"',
    );
  }
  if (layer.copy) {
    const src = path.join(recipe.dir, layer.copy);
    if (!fs.existsSync(src)) fail(`${recipe.name}/recipe.json: copy: ${layer.copy} does not exist`);
    // Files in the recipe are owned by root in the image, whoever checked them out, and
    // group/other-writable bits from a loose umask are dropped (same image for everyone).
    lines.push(
      `(cd ${sh(src)} && tar -c --sort=name --owner=0 --group=0 --numeric-owner --mode=go-w .) | tar -x --keep-directory-symlink -C .`,
    );
  }
  if (layer.script) {
    const script = path.join(recipe.dir, layer.script);
    if (!fs.existsSync(script))
      fail(`${recipe.name}/recipe.json: script: ${layer.script} does not exist`);
    lines.push(`LOWER=${sh(lowerDirs.join(":"))} sh -eu ${sh(script)}`);
  }
  if (dpkgStatus) {
    const file = path.join(WORK, `${id}.status`);
    fs.writeFileSync(file, dpkgStatus);
    lines.push(
      "mkdir -p var/lib/dpkg",
      `cp ${sh(file)} var/lib/dpkg/status`,
      "chmod 644 var/lib/dpkg/status",
    );
  }
  lines.push(
    `tar -c --sort=name --format=gnu --mtime=@${EPOCH} --numeric-owner -f ${sh(tarFile)} .`,
  );
  run("fakeroot", ["--", "sh", "-c", lines.join("\n")], { cwd: tree });
  return { tree, tarFile };
}

function gzipLayer(tarFile) {
  const gz = tarFile + ".gz";
  run("sh", ["-c", `gzip -n -9 -c ${sh(tarFile)} > ${sh(gz)}`]);
  return gz;
}

function storeBlob(file) {
  const hex = sha256File(file);
  const dir = path.join(OUT, "blobs/sha256");
  fs.mkdirSync(dir, { recursive: true });
  const dest = path.join(dir, hex);
  if (!fs.existsSync(dest)) fs.copyFileSync(file, dest);
  return { digest: `sha256:${hex}`, size: fs.statSync(file).size };
}

function storeJson(obj) {
  const buf = Buffer.from(JSON.stringify(obj));
  const hex = sha256(buf);
  const dir = path.join(OUT, "blobs/sha256");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, hex), buf);
  return { digest: `sha256:${hex}`, size: buf.length };
}

// ---------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------

/**
 * dpkg's database entry for each unpacked package, so `dpkg -l` in a container tells the truth.
 * Returns the merged status text (parent's entries + this layer's), sorted by package name.
 */
function dpkgStatusWith(parentEntries, packages, debs) {
  const entries = new Map(parentEntries);
  for (const p of packages) {
    const control = run("dpkg-deb", ["-f", debs[p]]).trimEnd();
    const lines = control.split("\n");
    lines.splice(1, 0, "Status: install ok installed");
    entries.set(p, lines.join("\n"));
  }
  return entries;
}

/** hello-world's program: a static i386 ELF that writes the message and exits 0, made here. */
export function helloElf(message) {
  const msg = Buffer.from(message, "utf8");
  const base = 0x08048000;
  const headers = 52 + 32;
  const code = [];
  const msgAddr = base + headers + 31;
  const u32 = (n) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
  code.push(0xb8, ...u32(4)); // mov eax, 4 (write)
  code.push(0xbb, ...u32(1)); // mov ebx, 1 (stdout)
  code.push(0xb9, ...u32(msgAddr)); // mov ecx, msg
  code.push(0xba, ...u32(msg.length)); // mov edx, len
  code.push(0xcd, 0x80); // int 0x80
  code.push(0xb8, ...u32(1)); // mov eax, 1 (exit)
  code.push(0x31, 0xdb); // xor ebx, ebx
  code.push(0xcd, 0x80); // int 0x80
  if (code.length !== 31) throw new Error("hello: code size changed");
  const size = headers + code.length + msg.length;
  const elf = Buffer.alloc(size);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]).copy(elf, 0); // ELF32, little endian, SysV
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(3, 18); // EM_386
  elf.writeUInt32LE(1, 20); // EV_CURRENT
  elf.writeUInt32LE(base + headers, 24); // entry
  elf.writeUInt32LE(52, 28); // phoff
  elf.writeUInt32LE(0, 32); // shoff
  elf.writeUInt32LE(0, 36); // flags
  elf.writeUInt16LE(52, 40); // ehsize
  elf.writeUInt16LE(32, 42); // phentsize
  elf.writeUInt16LE(1, 44); // phnum
  elf.writeUInt16LE(40, 46); // shentsize
  // program header: PT_LOAD the whole file, R+X
  elf.writeUInt32LE(1, 52);
  elf.writeUInt32LE(0, 56);
  elf.writeUInt32LE(base, 60);
  elf.writeUInt32LE(base, 64);
  elf.writeUInt32LE(size, 68);
  elf.writeUInt32LE(size, 72);
  elf.writeUInt32LE(5, 76);
  elf.writeUInt32LE(0x1000, 80);
  Buffer.from(code).copy(elf, headers);
  msg.copy(elf, headers + code.length);
  return elf;
}

function generate(recipe, layer) {
  if (layer.generate === "hello") {
    const dir = path.join(WORK, `${recipe.name}-gen`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const message = fs.readFileSync(path.join(recipe.dir, "message.txt"), "utf8");
    fs.writeFileSync(path.join(dir, "hello"), helloElf(message), { mode: 0o755 });
    fs.chmodSync(path.join(dir, "hello"), 0o755);
    return dir;
  }
  fail(`${recipe.name}/recipe.json: unknown generate "${layer.generate}"`);
}

async function main() {
  const recipes = loadRecipes();
  if (flag("--update-lock")) {
    updateLock(recipes);
    if (!flag("--build")) return;
  }
  if (!fs.existsSync(LOCK)) fail(`no lock at ${path.relative(ROOT, LOCK)}: run with --update-lock`);
  const lock = JSON.parse(fs.readFileSync(LOCK, "utf8"));

  let wanted = [...recipes.keys()];
  const only = option("--only");
  if (only) {
    if (!recipes.has(only)) fail(`--only: unknown image ${only}`);
    wanted = [];
    for (let r = only; r; r = recipes.get(r).from) wanted.unshift(r);
  }
  const need = new Set();
  for (const n of wanted)
    for (const l of recipes.get(n).layers) for (const p of l.packages ?? []) need.add(p);
  const debs = await fetchDebs([...need].sort(), lock);

  fs.mkdirSync(WORK, { recursive: true });
  fs.rmSync(path.join(OUT, "blobs"), { recursive: true, force: true });
  /** name -> { layers: [{digest,size,diffId,created_by,comment}], trees: string[] } */
  const built = new Map();
  const index = { schemaVersion: 1, created: CREATED, repositories: {}, blobs: {} };

  for (const name of wanted) {
    const recipe = recipes.get(name);
    const parent = recipe.from
      ? built.get(recipe.from)
      : { layers: [], history: [], trees: [], dpkg: new Map() };
    if (!parent) fail(`${name}: built before its base ${recipe.from}`);
    const layers = [...parent.layers];
    const history = [...parent.history];
    const trees = [...parent.trees];
    let dpkg = parent.dpkg;
    for (const [i, layer] of recipe.layers.entries()) {
      if (layer.empty_layer) {
        history.push({ created: CREATED, created_by: layer.created_by, empty_layer: true });
        continue;
      }
      let res;
      if (layer.generate) {
        const dir = generate(recipe, layer);
        res = buildLayer(
          { ...recipe, dir: path.dirname(dir) },
          i,
          { ...layer, copy: path.basename(dir) },
          debs,
          trees,
        );
      } else {
        let status = null;
        if (layer.packages?.length) {
          dpkg = dpkgStatusWith(dpkg, layer.packages, debs);
          // Only images that have dpkg get its database (busybox does not).
          if (dpkg.has("dpkg")) {
            status = [...dpkg.keys()]
              .sort()
              .map((k) => dpkg.get(k) + "\n\n")
              .join("");
          }
        }
        res = buildLayer(recipe, i, layer, debs, trees, status);
      }
      const diffId = `sha256:${sha256File(res.tarFile)}`;
      const blob = storeBlob(gzipLayer(res.tarFile));
      layers.push({ ...blob, diffId, unpacked: fs.statSync(res.tarFile).size });
      const h = { created: CREATED, created_by: layer.created_by };
      if (layer.comment) h.comment = layer.comment;
      history.push(h);
      trees.push(res.tree);
      console.log(
        `  ${name} layer ${i}: ${blob.size} B gz (${fs.statSync(res.tarFile).size} B tar) ${blob.digest.slice(0, 19)}`,
      );
    }
    for (const h of recipe.config_history ?? [])
      history.push({ created: CREATED, ...h, empty_layer: true });
    const config = {
      architecture: "386",
      os: "linux",
      created: CREATED,
      config: recipe.config,
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
      history,
    };
    const cfg = storeJson(config);
    const manifest = {
      schemaVersion: 2,
      mediaType: MT_MANIFEST,
      config: { mediaType: MT_CONFIG, size: cfg.size, digest: cfg.digest },
      layers: layers.map((l) => ({ mediaType: MT_LAYER, size: l.size, digest: l.digest })),
    };
    const man = storeJson(manifest);
    const tags = {};
    for (const t of recipe.tags) tags[t] = man.digest;
    index.repositories[recipe.repository] = {
      description: recipe.description,
      official: true,
      tags,
      manifests: { [man.digest]: { size: man.size, mediaType: MT_MANIFEST } },
      compressedBytes: cfg.size + layers.reduce((a, l) => a + l.size, 0),
      unpackedBytes: layers.reduce((a, l) => a + l.unpacked, 0),
    };
    // Other names for the same image (docker/whalesay, as the classic tutorials spell it).
    for (const alias of recipe.aliases ?? []) {
      index.repositories[alias] = { ...index.repositories[recipe.repository], official: false };
    }
    for (const b of [cfg, man, ...layers]) index.blobs[b.digest] = b.size;
    built.set(name, { layers, history, trees, dpkg });
  }

  const total = Object.values(index.blobs).reduce((a, b) => a + b, 0);
  index.totalBlobBytes = total;
  fs.writeFileSync(path.join(OUT, "index.json"), JSON.stringify(index, null, 2) + "\n");
  console.log("\nimage                         compressed      unpacked");
  for (const [repo, r] of Object.entries(index.repositories)) {
    console.log(
      `${repo.padEnd(28)} ${String(r.compressedBytes).padStart(11)} ${String(r.unpackedBytes).padStart(13)}  ${Object.keys(r.tags).join(",")}`,
    );
  }
  console.log(`total bundled blob bytes (shared layers once): ${total}`);
  if (!flag("--keep-work")) fs.rmSync(WORK, { recursive: true, force: true });
}

export const LOCK_FILE = LOCK;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await main();
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
}
