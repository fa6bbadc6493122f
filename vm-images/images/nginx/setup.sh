# The user the workers run as, added the way groupadd/useradd would (the layer carries the
# whole changed files, as a real image layer does).
base=${LOWER%%:*}
mkdir -p etc
cp "$base/etc/passwd" "$base/etc/group" "$base/etc/shadow" "$base/etc/gshadow" etc/
echo 'nginx:x:101:101:nginx user:/nonexistent:/bin/false' >> etc/passwd
echo 'nginx:x:101:' >> etc/group
echo 'nginx:!:20089::::::' >> etc/shadow
echo 'nginx:!::' >> etc/gshadow
# Logs go to the container's output, so `docker logs` shows every request.
mkdir -p var/log/nginx var/cache/nginx var/lib/nginx
ln -sf /dev/stdout var/log/nginx/access.log
ln -sf /dev/stderr var/log/nginx/error.log
# Debian's site layout is replaced by the official image's conf.d/default.conf.
rm -rf etc/nginx/sites-available etc/nginx/sites-enabled etc/nginx/snippets etc/nginx/modules-available etc/nginx/modules-enabled var/www
