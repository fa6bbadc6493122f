// Dev: how much of a machine state changes between checkpoints, cut into content-defined chunks
// (src/vm/worker/chunks.ts); what cutting, hashing and compressing only the new chunks take,
// against compressing the whole state.
// Usage: npx tsx scripts/dev/checkpoint-delta.mts   (raw states kept in $OUT, default /tmp/cp)
import fs from "node:fs";
import { chunkState, zstd } from "../../src/vm/worker/chunk-codec.ts";
import { attachBundledRegistry, restoredMachine } from "../../src/vm/node.ts";

const out = process.env.OUT ?? "/tmp/cp";
fs.mkdirSync(out, { recursive: true });
const ms = (t: number) => Math.round(performance.now() - t);

async function chunk(raw: Uint8Array) {
  const t = performance.now();
  const { ends, hashes } = await chunkState(raw);
  const chunks = hashes.map((hash, i) => ({
    hash,
    bytes: raw.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!),
  }));
  return { chunks, ms: ms(t) };
}

let known = new Set<string>();
async function step(label: string, raw: Uint8Array) {
  fs.writeFileSync(`${out}/${label}.raw`, raw);
  const { chunks, ms: chunkMs } = await chunk(raw);
  const fresh = chunks.filter((c) => !known.has(c.hash));
  const freshBytes = fresh.reduce((n, c) => n + c.bytes.length, 0);
  let t = performance.now();
  const joined = new Uint8Array(freshBytes);
  fresh.reduce((at, c) => (joined.set(c.bytes, at), at + c.bytes.length), 0);
  const packed = (await zstd(joined, 1)).byteLength;
  const packMs = ms(t);
  t = performance.now();
  const whole = (await zstd(raw, 1)).byteLength;
  const wholeMs = ms(t);
  console.log(
    `${label}: raw ${(raw.length / 1e6).toFixed(1)} MB, ${chunks.length} chunks (cut and xxh128 ${chunkMs} ms); ` +
      `new ${fresh.length} = ${(freshBytes / 1e6).toFixed(1)} MB → zstd-1 of those ${(packed / 1e6).toFixed(1)} MB in ${packMs} ms; ` +
      `whole zstd-1 ${(whole / 1e6).toFixed(1)} MB in ${wholeMs} ms`,
  );
  known = new Set([...known, ...chunks.map((c) => c.hash)]);
}

const machine = restoredMachine();
attachBundledRegistry(machine);
await machine.start();
const sh = async (cmd: string) => {
  const t = performance.now();
  const r = await machine.exec(["sh", "-c", cmd], { timeoutMs: 600_000 });
  console.log(`$ ${cmd}: exit ${r.exit} in ${ms(t)} ms`);
};
await step("0-restored", new Uint8Array(await machine.save()));
await sh("docker run --rm hello-world >/dev/null");
await step("1-hello", new Uint8Array(await machine.save()));
await sh("docker ps >/dev/null; ls / >/dev/null");
await step("2-ps", new Uint8Array(await machine.save()));
await sh("docker pull nginx >/dev/null && docker run -d --name web -p 8080:80 nginx >/dev/null");
await step("3-nginx", new Uint8Array(await machine.save()));
await sh("curl -s localhost:8080 >/dev/null; docker ps >/dev/null");
await step("4-curl", new Uint8Array(await machine.save()));
await machine.dispose();
