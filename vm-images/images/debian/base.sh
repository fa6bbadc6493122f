# Runs in the new layer's root under fakeroot. Does what the packages' maintainer scripts
# would do on a real install (we only unpack them: their scripts are i386 programs).
# base-passwd postinst: the standard users and groups.
cp usr/share/base-passwd/passwd.master etc/passwd
cp usr/share/base-passwd/group.master etc/group
cut -d: -f1 etc/passwd | sed 's/$/:*:20089:0:99999:7:::/' > etc/shadow
cut -d: -f1 etc/group | sed 's/$/:*::/' > etc/gshadow
chmod 640 etc/shadow etc/gshadow
chgrp 42 etc/shadow etc/gshadow
# base-files postinst: profiles and the shells list (debianutils).
cp usr/share/base-files/profile etc/profile
cp usr/share/base-files/dot.bashrc root/.bashrc
cp usr/share/base-files/dot.profile root/.profile
cp usr/share/debianutils/shells etc/shells
printf '/bin/bash\n/usr/bin/bash\n' >> etc/shells
ln -s ../proc/self/mounts etc/mtab
printf 'passwd:         files\ngroup:          files\nshadow:         files\ngshadow:        files\n\nhosts:          files dns\nnetworks:       files\n\nprotocols:      db files\nservices:       db files\nethers:         db files\nrpc:            db files\n\nnetgroup:       nis\n' > etc/nsswitch.conf
# mawk postinst: the awk alternative.
mkdir -p etc/alternatives
ln -s /usr/bin/mawk etc/alternatives/awk
ln -s /etc/alternatives/awk usr/bin/awk
# libpam-runtime postinst (pam-auth-update): the common PAM stacks.
for f in common-account common-auth common-password common-session common-session-noninteractive; do
  cp usr/share/pam/$f etc/pam.d/$f
done
# Slim: keep only the Unicode and Latin-1 converters of iconv.
find usr/lib/i386-linux-gnu/gconv -maxdepth 1 -type f -name '*.so' \
  ! -name 'UNICODE.so' ! -name 'UTF-*.so' ! -name 'ISO8859-1.so' -delete
