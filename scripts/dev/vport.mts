import { bootingMachine } from "../../src/vm/node.ts";
const m = bootingMachine();
process.on("uncaughtException", (e) => console.log("UNCAUGHT", e));
let out = "";
m.emulator.add_listener("virtio-console1-output-bytes" as any, (b: Uint8Array) => console.log("VPORT1:", JSON.stringify(new TextDecoder().decode(b)).slice(0, 300)));
m.on((e) => { if (e.type === "output" && e.port === 1) { const s = new TextDecoder().decode(e.data); out += s; process.stdout.write(s); } });
m.start({ agentOnly: true }).catch((e) => console.log("start:", String(e).slice(0, 200)));
const until = async (re: RegExp, ms: number) => { const end = Date.now() + ms; while (!re.test(out)) { if (Date.now() > end) throw new Error("timeout " + re); await new Promise((r) => setTimeout(r, 100)); } };
await until(/# $/, 120000);
for (const c of process.argv.slice(2)) { out = ""; m.write(1, c + "; echo __END__\n"); await until(/__END__\r?\n[^]*# $/, 120000); }
await m.dispose(); process.exit(0);
