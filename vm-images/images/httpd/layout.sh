# Debian's Apache binary and modules, arranged as the official httpd image lays them out.
mkdir -p usr/local/apache2/logs usr/local/apache2/cgi-bin usr/local/bin
ln -s /usr/lib/apache2/modules usr/local/apache2/modules
chmod 755 usr/local/apache2/bin/httpd usr/local/bin/httpd-foreground
chown 33:33 usr/local/apache2

# The official image's page, byte for byte.
mkdir -p usr/local/apache2/htdocs
printf '<html><body><h1>It works!</h1></body></html>\n' > usr/local/apache2/htdocs/index.html
