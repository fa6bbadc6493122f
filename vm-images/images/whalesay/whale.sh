# The whale is the default cow, so `cowsay boo` draws it (as in docker/whalesay).
cp usr/share/cowsay/cows/docker.cow usr/share/cowsay/cows/default.cow
mkdir -p usr/local/bin
ln -s /usr/games/cowsay usr/local/bin/cowsay
# perl's own postinst would do these links; the build only unpacks.
[ -e usr/bin/perl ] || ln -s perl5.36.0 usr/bin/perl
