// Dev: where a cold boot (kernel start → dockerd answering) spends its time. Boots the guest,
// then reads the kernel's and the services' own timestamps, all as seconds since kernel start.
// Usage: flock /tmp/v86.lock npx tsx scripts/dev/boot-profile.mts
import { bootingMachine } from "../../src/vm/node.ts";

const machine = bootingMachine({ readyTimeoutMs: 600_000 });
const t0 = performance.now();
await machine.start();
console.log(
  `ready after ${Math.round(performance.now() - t0)} ms (host clock, from emulator start)`,
);
const r = await machine.exec(
  [
    "sh",
    "-c",
    String.raw`
up() { awk '{print $1}' /proc/uptime; }
now=$(date +%s.%N); uptime=$(up)
since() { # wall-clock time (as in the services' logs) → seconds since kernel start
  t=$(date -d "$1" +%s.%N 2>/dev/null) || return
  echo "$t $now $uptime" | awk '{printf "%.1f", $3 - ($2 - $1)}'
}
dmesg | grep -E 'Freeing unused kernel|Run /init|EXT4-fs \(sda\)|switch_root|loop0|br-|docker0' | head -12
echo "containerd first log line: $(since "$(head -1 /var/log/containerd.log | sed -E 's/^time="([^"]+)".*/\1/')")"
echo "containerd serving: $(since "$(grep -m1 'containerd successfully booted' /var/log/containerd.log | sed -E 's/^time="([^"]+)".*/\1/')")"
echo "dockerd starting: $(since "$(grep -m1 'Starting up' /var/log/dockerd.log | sed -E 's/^time="([^"]+)".*/\1/')")"
echo "dockerd loading containers: $(since "$(grep -m1 'Loading containers: start' /var/log/dockerd.log | sed -E 's/^time="([^"]+)".*/\1/')")"
echo "dockerd init done: $(since "$(grep -m1 'Daemon has completed initialization' /var/log/dockerd.log | sed -E 's/^time="([^"]+)".*/\1/')")"
echo "dockerd API listening: $(since "$(grep -m1 'API listen on' /var/log/dockerd.log | sed -E 's/^time="([^"]+)".*/\1/')")"
echo "now: $uptime"
`,
  ],
  { timeoutMs: 60_000 },
);
console.log(r.stdout, r.stderr);
await machine.dispose();
process.exit(0);
