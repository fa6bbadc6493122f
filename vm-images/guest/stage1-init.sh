#!/bin/sh
# Stage 1 (initramfs): load the disk drivers, mount the ext4 root image, switch_root onto it.
# runc cannot pivot_root out of an initramfs, so Docker needs a real root filesystem.
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
while read -r m; do
  $B insmod "/lib/modules/$m" || echo "stage1: insmod $m failed"
done < /lib/modules/load-order
i=0
while [ ! -b /dev/sda ] && [ $i -lt 1000 ]; do $B usleep 10000; i=$((i + 1)); done
if ! $B mount -t ext4 -o noatime /dev/sda /newroot; then
  echo "stage1: cannot mount the root disk /dev/sda"
  exec $B sh
fi
$B mount --move /dev /newroot/dev
$B umount /proc /sys
exec $B switch_root /newroot /usr/bin/tini -s -- /usr/sbin/sandbox-init
