#!/bin/sh
# Docker Hub's names, answered by the in-page registry over TLS.
# `docker search NAME` always asks https://index.docker.io (registry mirrors do not apply to
# search), and a pull the mirror cannot satisfy falls back to https://registry-1.docker.io.
# Both names point at 127.0.0.1 here, where socat terminates TLS with a certificate from a CA
# made in this guest at first boot, and forwards plain HTTP to registry.local:5000 (the page).
# So search lists the bundled images and an unknown image gets dockerd's real "not found".
dir=/var/lib/sandbox/hub-tls
names="index.docker.io registry-1.docker.io auth.docker.io"

if [ ! -s "$dir/server.pem" ]; then
  mkdir -p "$dir" && cd "$dir" || exit 1
  ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  # shellcheck disable=SC2086
  openssl req -x509 $ec -days 36500 -subj "/CN=Docker sandbox local CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout ca.key -out ca.crt 2>/dev/null
  # shellcheck disable=SC2086
  openssl req -new $ec -subj "/CN=index.docker.io" -keyout server.key -out server.csr 2>/dev/null
  san=$(printf 'DNS:%s,' $names)
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "${san%,}" > ext.cnf
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 36500 \
    -extfile ext.cnf -out server.crt 2>/dev/null
  cat server.key server.crt > server.pem.tmp && mv server.pem.tmp server.pem
  rm -f ca.key server.csr
  # Trusted by dockerd (Go reads the bundle) and by curl/openssl (hashed link); a later
  # update-ca-certificates keeps it because it is also in /usr/local/share/ca-certificates.
  mkdir -p /usr/local/share/ca-certificates
  cp ca.crt /usr/local/share/ca-certificates/docker-sandbox-ca.crt
  cp ca.crt /etc/ssl/certs/docker-sandbox-ca.pem
  ln -sf docker-sandbox-ca.pem "/etc/ssl/certs/$(openssl x509 -hash -noout -in ca.crt).0"
  cat ca.crt >> /etc/ssl/certs/ca-certificates.crt
fi

grep -q ' index.docker.io' /etc/hosts || echo "127.0.0.1 $names" >> /etc/hosts

setsid socat "openssl-listen:443,reuseaddr,fork,cert=$dir/server.pem,verify=0" \
  tcp:registry.local:5000 </dev/null >/dev/null 2>&1 &
exit 0
