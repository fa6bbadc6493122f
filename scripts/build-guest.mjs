#!/usr/bin/env node
// Assembles the guest (BIOS, kernel, stage-1 initramfs, ext4 root image) from pinned Debian 12
// i386 packages. No root needed: packages are unpacked with dpkg-deb under fakeroot, the image is
// written by mke2fs -d. Same lock + same recipes → same artifact hashes.
//
//   npm run build:guest                    build if missing or stale
//   npm run build:guest -- --force         rebuild even if up to date
//   npm run build:guest -- --refresh-lock  re-resolve packages.lock.json from the archive
//
// GUEST_LOCK_REFRESH=auto re-resolves the lock (with a warning) when a pinned version has left
// the Debian archive, instead of failing; .ci/run sets it so CI survives Debian point releases.

import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { newcArchive } from "./lib/cpio.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const recipe = path.join(root, "vm-images/guest");
const cache = path.join(root, "vm-images/cache");
// GUEST_OUT_DIR lets a second build land elsewhere, to compare hashes (reproducibility check).
const out = process.env.GUEST_OUT_DIR ?? path.join(root, "vm-images/out/guest");
const lockFile = path.join(recipe, "packages.lock.json");

// Machine settings are part of the guest hash: a state saved with other settings cannot be restored.
const MEMORY_MB = 512;
const CMDLINE =
  "console=ttyS0 tsc=reliable mitigations=off random.trust_cpu=on loglevel=3 init_on_free=1 " +
  "rw quiet";
// Fixed time, UUID and hash seed make the ext4 image byte-for-byte reproducible.
const SOURCE_DATE_EPOCH = 1767225600; // 2026-01-01T00:00:00Z
const FS_UUID = "5a4d0c7e-0000-4000-8000-000000000001";
const IMAGE_BYTES = 2 * 1024 ** 3;

const args = new Set(process.argv.slice(2));
const log = (...a) => console.error("[build:guest]", ...a);

function sha256(buf) {
  return createHash("sha256").update(buf).digest("hex");
}
function sha256File(file) {
  const h = createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.alloc(1 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest("hex");
}
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${argv.join(" ")} exited ${r.status}\n${r.stderr || r.stdout}`);
  }
  return r.stdout;
}
function listLines(file) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}
function needTool(name, pkg) {
  if (spawnSync("sh", ["-c", `command -v ${name}`]).status !== 0) {
    throw new Error(
      `${name} is missing: install the Debian package ${pkg} (apt-get install ${pkg})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// apt with a private, i386-only configuration: nothing on the host is touched.
const aptDir = path.join(cache, "apt");
function aptOpts() {
  return [
    "-oAPT::Architecture=i386",
    "-oAPT::Architectures=i386",
    `-oDir::State::Lists=${aptDir}/lists`,
    `-oDir::State::status=${aptDir}/status`,
    `-oDir::Cache=${aptDir}/cache`,
    `-oDir::Cache::archives=${aptDir}/archives`,
    `-oDir::Etc::SourceList=${recipe}/sources.list`,
    "-oDir::Etc::SourceParts=/dev/null",
    "-oDir::Etc::Preferences=/dev/null",
    "-oDir::Etc::PreferencesParts=/dev/null",
    "-oDebug::NoLocking=1",
    "-oAPT::Sandbox::User=root",
    "-oAcquire::Retries=3",
  ];
}
function aptUpdate() {
  for (const d of ["lists/partial", "cache", "archives/partial"]) {
    fs.mkdirSync(path.join(aptDir, d), { recursive: true });
  }
  fs.writeFileSync(path.join(aptDir, "status"), "");
  log("apt-get update (i386 lists, private cache)");
  run("apt-get", [...aptOpts(), "update"]);
}
function aptShow(spec) {
  const text = run("apt-cache", [...aptOpts(), "show", "--no-all-versions", spec]);
  const fields = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
    if (m && !(m[1] in fields)) fields[m[1]] = m[2];
  }
  return fields;
}

function aptExists(name) {
  return spawnSync("apt-cache", [...aptOpts(), "show", name], { encoding: "utf8" }).status === 0;
}

function resolveLock() {
  const wanted = listLines(path.join(recipe, "packages.txt"));
  const sim = run("apt-get", [...aptOpts(), "install", "-s", "--no-install-recommends", ...wanted]);
  const rootfs = [];
  for (const m of sim.matchAll(/^Inst (\S+) \((\S+) .*\[(\S+)\]\)( \[\])?$/gm)) {
    rootfs.push({ name: m[1], version: m[2], arch: m[3] });
  }
  if (rootfs.length === 0) throw new Error(`apt resolved no packages:\n${sim}`);
  const extra = [];
  for (const name of listLines(path.join(recipe, "extra-packages.txt"))) {
    let pkg = name;
    if (name.endsWith(">")) {
      const meta = aptShow(name.slice(0, -1));
      const dep = /(linux-image-[^\s,(]+)/.exec(meta.Depends ?? "");
      if (!dep) throw new Error(`cannot find the package ${name} stands for`);
      // i386 has no signed kernels: the dependency is a virtual name for the -unsigned package.
      pkg = aptExists(dep[1]) ? dep[1] : `${dep[1]}-unsigned`;
    }
    const f = aptShow(pkg);
    extra.push({ name: pkg, version: f.Version, arch: f.Architecture });
  }
  const withHashes = (list) => {
    // One apt-cache call for the whole list: each call re-reads every index.
    const text = run("apt-cache", [
      ...aptOpts(),
      "show",
      "--no-all-versions",
      ...list.map((p) => `${p.name}=${p.version}`),
    ]);
    const records = new Map();
    for (const block of text.split(/\n\n+/)) {
      const f = Object.fromEntries(
        [...block.matchAll(/^([A-Za-z0-9-]+): (.*)$/gm)].map((m) => [m[1], m[2]]),
      );
      if (f.Package) records.set(`${f.Package}=${f.Version}`, f);
    }
    return list
      .map((p) => {
        const f = records.get(`${p.name}=${p.version}`);
        if (!f) throw new Error(`apt-cache has no record of ${p.name}=${p.version}`);
        return { ...p, filename: f.Filename, size: Number(f.Size), sha256: f.SHA256 };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  };
  const lock = { rootfs: withHashes(rootfs), extra: withHashes(extra) };
  fs.writeFileSync(lockFile, JSON.stringify(lock, null, 2) + "\n");
  log(`lock written: ${lock.rootfs.length} root filesystem packages, ${lock.extra.length} extra`);
  return lock;
}

function debPath(p) {
  return path.join(cache, "debs", `${p.name}_${p.version.replace(/:/g, "%3a")}_${p.arch}.deb`);
}

/** Downloads every locked package not yet cached; returns the names no longer in the archive. */
function download(lock) {
  fs.mkdirSync(path.join(cache, "debs"), { recursive: true });
  const missing = [];
  // One entry per package: busybox-static is both in the root filesystem and an extra, and its
  // second entry found no file left to move and called its pin gone.
  const unique = new Map([...lock.rootfs, ...lock.extra].map((p) => [`${p.name}=${p.version}`, p]));
  const todo = [...unique.values()].filter((p) => {
    const file = debPath(p);
    return !(fs.existsSync(file) && sha256File(file) === p.sha256);
  });
  if (todo.length) log(`downloading ${todo.length} packages`);
  const tmp = fs.mkdtempSync(path.join(cache, "dl-"));
  // apt-get download fetches in one go and checks each file against the signed index.
  const specs = todo.map((p) => `${p.name}=${p.version}`);
  for (let i = 0; i < specs.length; i += 40) {
    const batch = specs.slice(i, i + 40);
    const r = spawnSync("apt-get", [...aptOpts(), "download", ...batch], {
      cwd: tmp,
      encoding: "utf8",
    });
    if (r.status !== 0) {
      // Fall back to one at a time to learn which pins are gone.
      // Mirrors hiccup: try each package three times before calling its pin gone.
      for (const spec of batch) {
        let ok = false;
        for (let attempt = 0; attempt < 3 && !ok; attempt++) {
          ok = spawnSync("apt-get", [...aptOpts(), "download", spec], { cwd: tmp }).status === 0;
        }
        if (!ok) missing.push(spec);
      }
    }
  }
  for (const p of todo) {
    if (missing.includes(`${p.name}=${p.version}`)) continue;
    const got = fs.readdirSync(tmp).find((f) => f.startsWith(`${p.name}_`) && f.endsWith(".deb"));
    if (!got) {
      missing.push(`${p.name}=${p.version}`);
      continue;
    }
    const file = path.join(tmp, got);
    const digest = sha256File(file);
    if (digest !== p.sha256) {
      throw new Error(`sha256 mismatch for ${got}: got ${digest}, lock says ${p.sha256}`);
    }
    fs.renameSync(file, debPath(p));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  return missing;
}

// ---------------------------------------------------------------------------------------------
function recipeHash() {
  const h = createHash("sha256");
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      h.update(path.relative(root, p) + "\0" + (st.mode & 0o777).toString(8) + "\0");
      if (st.isDirectory()) walk(p);
      else if (st.isSymbolicLink()) h.update(fs.readlinkSync(p));
      else h.update(fs.readFileSync(p));
    }
  };
  walk(recipe);
  for (const f of ["scripts/build-guest.mjs", "scripts/lib/cpio.mjs"]) {
    h.update(fs.readFileSync(path.join(root, f)));
  }
  h.update(`${MEMORY_MB}\0${CMDLINE}\0${SOURCE_DATE_EPOCH}\0${IMAGE_BYTES}`);
  return h.digest("hex");
}

function upToDate(hash) {
  const manifestFile = path.join(out, "manifest.json");
  if (!fs.existsSync(manifestFile)) return false;
  try {
    const m = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
    if (m.builtFrom?.recipeHash !== hash) return false;
    return Object.values(m.files).every(
      (f) =>
        fs.existsSync(path.join(out, f.file)) &&
        fs.statSync(path.join(out, f.file)).size === f.size,
    );
  } catch {
    return false;
  }
}

/**
 * Removes kernel modules the guest cannot use (hardware no emulated PC has, remote and
 * cluster filesystems, self-tests). Kept: networking and netfilter whole (iptables and
 * dockerd load xt_* / nf_* modules on demand), local filesystems, crypto and lib helpers,
 * and every module the init scripts list, with their dependencies.
 */
function pruneModules(modDir, kver) {
  run("depmod", ["-b", path.dirname(path.dirname(path.dirname(modDir))), kver]);
  const listed = [
    ...listLines(path.join(recipe, "stage1-modules.txt")),
    ...listLines(path.join(recipe, "rootfs/etc/sandbox/modules")),
  ];
  const closure = new Set(moduleClosure(modDir, listed));
  const keepFs =
    /^kernel\/fs\/(overlayfs|ext4|jbd2|9p|fuse|netfs|fscache|nls|autofs|isofs|fat|[^/]+\.ko)/;
  const keep = (rel) =>
    closure.has(rel) ||
    (/^kernel\/net\//.test(rel) &&
      !/^kernel\/net\/(wireless|mac80211|bluetooth|sunrpc|ceph|rds|tipc|sctp|nfc|dsa)\//.test(
        rel,
      )) ||
    keepFs.test(rel) ||
    /^kernel\/(crypto|arch\/x86\/crypto)\//.test(rel) ||
    (/^kernel\/lib\//.test(rel) && !/\/test_[^/]*$/.test(rel));
  let kept = 0;
  let removed = 0;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        if (fs.readdirSync(full).length === 0) fs.rmdirSync(full);
      } else if (/\.ko(\.xz|\.zst)?$/.test(entry.name)) {
        if (keep(path.relative(modDir, full))) kept++;
        else {
          fs.rmSync(full);
          removed++;
        }
      }
    }
  };
  walk(path.join(modDir, "kernel"));
  for (const f of fs.readdirSync(modDir)) if (/^modules\./.test(f)) fs.rmSync(path.join(modDir, f));
  return { kept, removed };
}

/** Resolves module names to files, dependencies first, from modules.dep. */
function moduleClosure(modDir, names) {
  const dep = new Map();
  for (const line of fs.readFileSync(path.join(modDir, "modules.dep"), "utf8").split("\n")) {
    const [file, rest] = line.split(":");
    if (!file) continue;
    const base = path
      .basename(file)
      .replace(/\.ko(\.xz|\.zst)?$/, "")
      .replace(/-/g, "_");
    dep.set(base, { file, deps: (rest ?? "").trim().split(/\s+/).filter(Boolean) });
  }
  const byFile = new Map([...dep.values()].map((d) => [d.file, d]));
  const order = [];
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const d of byFile.get(file)?.deps ?? []) visit(d);
    order.push(file);
  };
  for (const n of names) {
    const d = dep.get(n.replace(/-/g, "_"));
    if (!d) throw new Error(`kernel module ${n} not found in modules.dep`);
    visit(d.file);
  }
  return order;
}

function build(lock, rHash) {
  needTool("fakeroot", "fakeroot");
  needTool("mke2fs", "e2fsprogs");
  needTool("depmod", "kmod");
  const work = path.join(cache, "work");
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const rootDir = path.join(work, "rootfs");
  const kernelDir = path.join(work, "kernel");
  const extraDir = path.join(work, "extra");
  fs.mkdirSync(kernelDir);
  fs.mkdirSync(extraDir);

  const kernelPkg = lock.extra.find((p) => p.name.startsWith("linux-image-"));
  const byName = (n) => lock.extra.find((p) => p.name === n);
  run("dpkg-deb", ["-x", debPath(kernelPkg), kernelDir]);
  run("dpkg-deb", ["-x", debPath(byName("busybox-static")), extraDir]);
  run("dpkg-deb", ["-x", debPath(byName("seabios")), extraDir]);
  const kver = fs.readdirSync(path.join(kernelDir, "lib/modules"))[0];
  log(`kernel ${kver}`);
  const pruned = pruneModules(path.join(kernelDir, "lib/modules", kver), kver);
  log(`kernel modules: kept ${pruned.kept}, left out ${pruned.removed} the guest never loads`);

  // One fakeroot session: unpacked files appear root-owned to mke2fs, without real root.
  const script = path.join(work, "assemble.sh");
  const debs = lock.rootfs.map((p) => debPath(p));
  fs.writeFileSync(path.join(work, "debs.txt"), debs.join("\n") + "\n");
  fs.writeFileSync(
    script,
    `set -eu
R=${JSON.stringify(rootDir)}
mkdir -p "$R/usr/bin" "$R/usr/sbin" "$R/usr/lib"
ln -s usr/bin "$R/bin"; ln -s usr/sbin "$R/sbin"; ln -s usr/lib "$R/lib"
while read -r deb; do
  dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$R"
done < ${JSON.stringify(path.join(work, "debs.txt"))}
# Kernel modules (already pruned to what the guest can load, see pruneModules).
mkdir -p "$R/usr/lib/modules"
cp -a ${JSON.stringify(path.join(kernelDir, "lib/modules", kver))} "$R/usr/lib/modules/"
depmod -b "$R" ${kver}
# Tools the engine never runs: every byte left here is a byte a browser may download.
# (ctr/dnet/ovrouter are debugging tools; dockerd starts containers with the runc v2 shim only.)
rm -f "$R/usr/bin/ctr" "$R/usr/bin/dnet" "$R/usr/sbin/ovrouter" "$R/usr/bin/containerd-shim" \\
  "$R/usr/bin/containerd-shim-runc-v1" "$R/usr/bin/containerd-stress"
rm -rf "$R/usr/lib/i386-linux-gnu/gconv" "$R/usr/include" "$R/usr/lib/i386-linux-gnu/libcrun.a"
# What maintainer scripts would have done.
cp "$R/usr/share/base-passwd/passwd.master" "$R/etc/passwd"
cp "$R/usr/share/base-passwd/group.master" "$R/etc/group"
echo 'docker:x:998:' >> "$R/etc/group"
sed 's/:.*//' "$R/etc/passwd" | sed 's/$/:*:20454:0:99999:7:::/' > "$R/etc/shadow"
sed -i 's/^root:\\*:/root::/' "$R/etc/shadow"
chmod 640 "$R/etc/shadow"
ln -sf dash "$R/usr/bin/sh"
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -sf xtables-legacy-multi "$R/usr/sbin/$t"
done
# The other alternatives a learner types (update-alternatives never runs in this build).
ln -sf mawk "$R/usr/bin/awk"; ln -sf mawk "$R/usr/bin/nawk"
ln -sf less "$R/usr/bin/pager"; ln -sf nano "$R/usr/bin/editor"
# update-ca-certificates, minus the hash links Go does not need.
mkdir -p "$R/etc/ssl/certs"
cat "$R"/usr/share/ca-certificates/mozilla/*.crt > "$R/etc/ssl/certs/ca-certificates.crt"
ln -sf /usr/share/zoneinfo/Etc/UTC "$R/etc/localtime" 2>/dev/null || true
rm -rf "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/info" "$R/usr/share/lintian" \\
  "$R/usr/share/locale" "$R/var/cache/debconf" "$R/usr/share/bash-completion"
mkdir -p "$R/usr/share/locale" "$R/var/lib/docker" "$R/root/workspace" "$R/run" "$R/tmp" \\
  "$R/proc" "$R/sys" "$R/dev" "$R/var/log"
chmod 1777 "$R/tmp"
# Our own files: init, agent, configuration.
# Sorted, so small (linear) directories list their entries in the same order on every checkout.
tar -C ${JSON.stringify(path.join(recipe, "rootfs"))} --sort=name --owner=0 --group=0 -cf - . |
  tar -x --keep-directory-symlink -C "$R"
chmod 700 "$R/root"
find "$R" -exec touch -h -d @${SOURCE_DATE_EPOCH} {} +
# 40% reserved: the learner's shells run without CAP_SYS_RESOURCE (sandbox-init), so a learner
# who fills the disk stops at ~0.5 GB, and the engine (root, all capabilities) keeps working.
E2FSPROGS_FAKE_TIME=${SOURCE_DATE_EPOCH} mke2fs -q -F -t ext4 \\
  -O ^has_journal,^metadata_csum,^resize_inode,^64bit \\
  -E lazy_itable_init=0,lazy_journal_init=0,root_owner=0:0,hash_seed=${FS_UUID} \\
  -U ${FS_UUID} -L sandbox-root -m 40 -I 256 -i 16384 -d "$R" \\
  ${JSON.stringify(path.join(work, "rootfs.img"))} ${IMAGE_BYTES / 1024}k
# mke2fs copies each file's ctime, which no tool can set on the host: pin it in the image.
IMG=${JSON.stringify(path.join(work, "rootfs.img"))}
{ echo 'sif / ctime @${SOURCE_DATE_EPOCH}'; echo 'sif /lost+found ctime @${SOURCE_DATE_EPOCH}'
  cd "$R" && find . -mindepth 1 | sed 's|^\\.||' | LC_ALL=C sort |
    awk '{ printf "sif \\"%s\\" ctime @${SOURCE_DATE_EPOCH}\\n", $0 }'; } > "$IMG.ctime"
E2FSPROGS_FAKE_TIME=${SOURCE_DATE_EPOCH} debugfs -w -f "$IMG.ctime" "$IMG" >/dev/null 2>"$IMG.ctime.err"
rm -f "$IMG.ctime" "$IMG.ctime.err"
du -sb "$R" | cut -f1 > ${JSON.stringify(path.join(work, "used"))}
`,
  );
  log(`assembling the root filesystem from ${debs.length} packages (fakeroot)`);
  run("fakeroot", ["sh", script]);

  // Stage 1: busybox + the modules that reach the root disk, then switch_root.
  const modDir = path.join(rootDir, "usr/lib/modules", kver);
  const mods = moduleClosure(modDir, listLines(path.join(recipe, "stage1-modules.txt")));
  const entries = [
    { name: "bin", dir: true },
    { name: "bin/busybox", data: fs.readFileSync(path.join(extraDir, "bin/busybox")), mode: 0o755 },
    { name: "bin/sh", symlink: "busybox" },
    { name: "dev", dir: true },
    { name: "proc", dir: true },
    { name: "sys", dir: true },
    { name: "newroot", dir: true },
    { name: "lib", dir: true },
    { name: "lib/modules", dir: true },
    { name: "init", data: fs.readFileSync(path.join(recipe, "stage1-init.sh")), mode: 0o755 },
    {
      name: "lib/modules/load-order",
      data: Buffer.from(mods.map((m) => path.basename(m)).join("\n") + "\n"),
    },
    ...mods.map((m) => ({
      name: `lib/modules/${path.basename(m)}`,
      data: fs.readFileSync(path.join(modDir, m)),
    })),
  ];
  const initrd = zlib.gzipSync(newcArchive(entries, SOURCE_DATE_EPOCH), { level: 9 });

  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const put = (name, from) => {
    const file = path.join(out, name);
    if (Buffer.isBuffer(from)) fs.writeFileSync(file, from);
    else fs.renameSync(from, file);
    return { file: name, size: fs.statSync(file).size, sha256: sha256File(file) };
  };
  const files = {
    bios: put("bios.bin", fs.readFileSync(path.join(extraDir, "usr/share/seabios/bios.bin"))),
    vgaBios: put(
      "vgabios.bin",
      fs.readFileSync(path.join(extraDir, "usr/share/seabios/vgabios-stdvga.bin")),
    ),
    kernel: put("vmlinuz", fs.readFileSync(path.join(kernelDir, `boot/vmlinuz-${kver}`))),
    initrd: put("initrd.img", initrd),
    rootfs: put("rootfs.img", path.join(work, "rootfs.img")),
  };
  const hash = sha256(
    JSON.stringify({ files: Object.values(files).map((f) => f.sha256), MEMORY_MB, CMDLINE }),
  ).slice(0, 16);
  const manifest = {
    hash,
    memoryMb: MEMORY_MB,
    cmdline: CMDLINE,
    kernelVersion: kver,
    files,
    packages: [...lock.rootfs, ...lock.extra].map(({ name, version, arch, sha256 }) => ({
      name,
      version,
      arch,
      sha256,
    })),
    rootfsUsedBytes: Number(fs.readFileSync(path.join(work, "used"), "utf8")),
    builtFrom: { recipeHash: rHash, lockHash: sha256(fs.readFileSync(lockFile)) },
  };
  fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  fs.rmSync(work, { recursive: true, force: true });
  return manifest;
}

function main() {
  const started = Date.now();
  const rHash = recipeHash();
  if (!args.has("--force") && !args.has("--refresh-lock") && upToDate(rHash)) {
    log("up to date:", path.relative(root, out));
    return;
  }
  aptUpdate();
  let lock =
    args.has("--refresh-lock") || !fs.existsSync(lockFile)
      ? resolveLock()
      : JSON.parse(fs.readFileSync(lockFile, "utf8"));
  let missing = download(lock);
  if (missing.length) {
    if (process.env.GUEST_LOCK_REFRESH !== "auto") {
      throw new Error(
        `these pinned packages are no longer in the Debian archive: ${missing.join(", ")}\n` +
          "Refresh the lock with: npm run build:guest -- --refresh-lock",
      );
    }
    log(`WARNING: pinned versions left the archive (${missing.join(", ")}); re-resolving the lock`);
    lock = resolveLock();
    missing = download(lock);
    if (missing.length) throw new Error(`cannot download: ${missing.join(", ")}`);
  }
  // The recipe hash covers the lock, which --refresh-lock may have just rewritten.
  const manifest = build(lock, recipeHash());
  const mb = (n) => (n / 1e6).toFixed(1) + " MB";
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s: guest ${manifest.hash}, ` +
      `root image ${mb(manifest.files.rootfs.size)} (${mb(manifest.rootfsUsedBytes)} used), ` +
      `kernel ${mb(manifest.files.kernel.size)}, initrd ${mb(manifest.files.initrd.size)}`,
  );
}

try {
  main();
} catch (e) {
  console.error(`[build:guest] error: ${e.message}`);
  process.exit(1);
}
