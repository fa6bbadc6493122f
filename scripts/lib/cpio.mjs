// A minimal, deterministic "newc" cpio writer for the stage-1 initramfs: entries in the given
// order, fixed mtime, root ownership, no inode numbers from the host.

/**
 * @param {{name: string, data?: Buffer, mode?: number, dir?: boolean, symlink?: string}[]} entries
 * @param {number} mtime seconds since the epoch
 * @returns {Buffer}
 */
export function newcArchive(entries, mtime) {
  const parts = [];
  let ino = 1;
  const pad4 = (n) => (4 - (n % 4)) % 4;
  const hex = (n) => n.toString(16).padStart(8, "0");
  const push = (name, mode, data) => {
    const nameBuf = Buffer.from(name + "\0");
    const header =
      "070701" +
      [ino++, mode, 0, 0, 1, mtime, data.length, 0, 0, 0, 0, nameBuf.length, 0].map(hex).join("");
    parts.push(Buffer.from(header), nameBuf, Buffer.alloc(pad4(110 + nameBuf.length)));
    parts.push(data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) {
    if (e.dir) push(e.name, 0o040755, Buffer.alloc(0));
    else if (e.symlink) push(e.name, 0o120777, Buffer.from(e.symlink));
    else push(e.name, 0o100000 | (e.mode ?? 0o644), e.data ?? Buffer.alloc(0));
  }
  push("TRAILER!!!", 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}
