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

# The official image's pages, byte for byte (kept here, not as .html files, so no formatter touches them).
mkdir -p usr/share/nginx/html
cat > usr/share/nginx/html/index.html <<'HTML'
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
HTML
cat > usr/share/nginx/html/50x.html <<'HTML'
<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
HTML
