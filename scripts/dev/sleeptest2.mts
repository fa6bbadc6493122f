import { bootingMachine } from "../../src/vm/node.ts";
const m = bootingMachine();
let out = "";
m.on((e) => { if (e.type === "output" && e.port === 1) out += new TextDecoder().decode(e.data); if (e.type === "agent") console.log("AGENT", JSON.stringify(e.event).slice(0,150)); });
m.emulator.add_listener("virtio-console1-output-bytes" as any, (b: Uint8Array) => console.log("VPORT1:", JSON.stringify(new TextDecoder().decode(b)).slice(0, 200)));
m.start({ agentOnly: true }).catch(() => {});
const until = async (re: RegExp, ms: number) => { const end = Date.now() + ms; while (!re.test(out)) { if (Date.now() > end) return false; await new Promise((r) => setTimeout(r, 100)); } return true; };
const t0 = Date.now();
console.log("prompt", await until(/# $/, 90000), (Date.now()-t0)/1000);
for (let i = 0; i < 8; i++) {
  out = ""; m.write(1, "cat /proc/uptime; grep -E 'timer|virtio|ttyS' /proc/interrupts; sleep 1; echo SL''EPT\n");
  const t1 = Date.now();
  const ok = await until(/SLEPT\r?\n/, 15000);
  console.log("slept", ok, (Date.now()-t1)/1000, out.replace(/\r/g,'').split('\n').slice(1,7).join(' | '));
  if (!ok) { m.write(1, "\n"); await until(/# $/, 5000); console.log("after enter:", out.slice(-300)); }
}
await m.dispose(); process.exit(0);
