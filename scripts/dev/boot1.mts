import { bootingMachine } from "../../src/vm/node.ts";
const t0 = Date.now();
const m = bootingMachine({ readyTimeoutMs: 240000 });
m.on((e) => {
  if (e.type === "console") console.log(`[${((Date.now()-t0)/1000).toFixed(1)}] console: ${e.text}`);
  else if (e.type === "progress") console.log(`[${((Date.now()-t0)/1000).toFixed(1)}] phase ${e.progress.phase}`);
  else if (e.type === "agent") console.log(`[${((Date.now()-t0)/1000).toFixed(1)}] agent`, JSON.stringify(e.event).slice(0,200));
  else if (e.type === "output") process.stdout.write(`{${e.port}:${new TextDecoder().decode(e.data)}}`);
});
try {
  await m.start();
  console.log("READY", m.readyMs, "disk", m.diskBytesFetched());
  let t = Date.now();
  console.log(JSON.stringify(await m.agent({op:"ping"})), Date.now()-t);
  t = Date.now();
  const r = await m.api("GET", "/version"); console.log(r.status, JSON.stringify(r.body).slice(0,200), Date.now()-t);
  t = Date.now();
  console.log(JSON.stringify(await m.exec(["sh","-c","uname -a; free -m; df -h /; ls /dev/vport*"])), Date.now()-t);
  m.write(1, "docker version\n");
  await new Promise(r => setTimeout(r, 8000));
} catch (e) { console.error("FAILED", e); }
await m.dispose();
process.exit(0);
