# Lays the layer out like the official busybox image: /bin/busybox and one link per applet
# (the list was read once from `busybox --list`, so the build never runs an i386 program).
d=$(dirname "$0")
mkdir -p bin
mv usr/bin/busybox bin/busybox
rmdir usr/bin 2>/dev/null || true
while read -r a; do
  [ "$a" = busybox ] || ln "bin/busybox" "bin/$a"
done < "$d/applets.txt"
mkdir -p dev etc home proc root sys tmp usr/sbin var/spool/mail var/www
chmod 1777 tmp
chmod 700 root
cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
P
cat > etc/group <<'G'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
staff:x:50:
users:x:100:
nogroup:x:65534:
G
sed 's/:.*/:*:10933:0:99999:7:::/' etc/passwd > etc/shadow
chmod 600 etc/shadow
