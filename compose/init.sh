#!/bin/sh
# compose's one-shot `init` service: before nginx and coturn start, make sure the `tls`
# volume holds a certificate, its key and DH parameters.
#   - cert.pem + key.pem placed in compose/certs/ (mounted at $GIVEN_DIR) are installed;
#   - else a certificate for $DOMAIN already in the volume (an earlier run's, certbot's) is kept;
#   - else a self-signed one for $DOMAIN is made, as the Ansible certs role makes it.
# coturn runs as nobody:nogroup (65534) and reads the key itself, so the key is root:65534 0640.
set -eu

: "${DOMAIN:?DOMAIN is not set: copy .env.example to .env and set it}"
TLS_DIR=${TLS_DIR:-/etc/visavis/tls}
GIVEN_DIR=${GIVEN_DIR:-/given}
COTURN_GID=${COTURN_GID:-65534}
SELFSIGNED_DAYS=${SELFSIGNED_DAYS:-825}

umask 077
mkdir -p "$TLS_DIR"

if [ -s "$GIVEN_DIR/cert.pem" ] && [ -s "$GIVEN_DIR/key.pem" ]; then
    echo "init: installing the certificate from compose/certs/"
    cp "$GIVEN_DIR/cert.pem" "$TLS_DIR/cert.pem.new"
    cp "$GIVEN_DIR/key.pem" "$TLS_DIR/key.pem.new"
    mv "$TLS_DIR/key.pem.new" "$TLS_DIR/key.pem"
    mv "$TLS_DIR/cert.pem.new" "$TLS_DIR/cert.pem"
elif [ -s "$TLS_DIR/cert.pem" ] && [ -s "$TLS_DIR/key.pem" ] &&
    openssl x509 -in "$TLS_DIR/cert.pem" -noout -checkhost "$DOMAIN" | grep -q " does match"; then
    echo "init: keeping the certificate for $DOMAIN already in the tls volume"
else
    echo "init: making a self-signed certificate for $DOMAIN"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days "$SELFSIGNED_DAYS" -subj "/CN=$DOMAIN" -addext "subjectAltName=DNS:$DOMAIN" \
        -keyout "$TLS_DIR/key.pem.new" -out "$TLS_DIR/cert.pem.new" 2>/dev/null
    mv "$TLS_DIR/key.pem.new" "$TLS_DIR/key.pem"
    mv "$TLS_DIR/cert.pem.new" "$TLS_DIR/cert.pem"
fi

if [ ! -s "$TLS_DIR/dhparam.pem" ]; then
    # RFC 7919's ffdhe2048 group, as Mozilla's intermediate configuration recommends.
    openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 \
        -out "$TLS_DIR/dhparam.pem.new"
    mv "$TLS_DIR/dhparam.pem.new" "$TLS_DIR/dhparam.pem"
fi

chown 0:0 "$TLS_DIR" "$TLS_DIR/cert.pem" "$TLS_DIR/dhparam.pem"
chown "0:$COTURN_GID" "$TLS_DIR/key.pem"
chmod 0755 "$TLS_DIR"
chmod 0644 "$TLS_DIR/cert.pem" "$TLS_DIR/dhparam.pem"
chmod 0640 "$TLS_DIR/key.pem"
echo "init: $TLS_DIR is ready"
