#!/bin/sh
# compose's one-shot `init` service: before nginx and coturn start, make sure the `tls`
# volume holds a certificate, its key and DH parameters.
#   - cert.pem + key.pem placed in compose/certs/ (mounted at $GIVEN_DIR) are installed;
#   - else a certificate for $DOMAIN already in the volume (an earlier run's, certbot's) is
#     kept, unless it is self-signed and lacks turn.$DOMAIN (TURN over TLS on 443), lives
#     longer than $SELFSIGNED_DAYS or ends within 30 days;
#   - else a self-signed one for $DOMAIN and turn.$DOMAIN is made, as the Ansible certs role
#     makes it.
# coturn runs as nobody:nogroup (65534) and reads the key itself, so the key is root:65534 0640.
set -eu

: "${DOMAIN:?DOMAIN is not set: copy .env.example to .env and set it}"
TLS_DIR=${TLS_DIR:-/etc/visavis/tls}
GIVEN_DIR=${GIVEN_DIR:-/given}
COTURN_GID=${COTURN_GID:-65534}
SELFSIGNED_DAYS=${SELFSIGNED_DAYS:-365}  # at most 366: Mozilla's intermediate profile
TURN_NAME="turn.$DOMAIN"

matches() {
    openssl x509 -in "$TLS_DIR/cert.pem" -noout -checkhost "$1" | grep -q " does match"
}
self_signed() {
    [ "$(openssl x509 -in "$TLS_DIR/cert.pem" -noout -subject | cut -d= -f2-)" = \
      "$(openssl x509 -in "$TLS_DIR/cert.pem" -noout -issuer | cut -d= -f2-)" ]
}
# Names turn.$DOMAIN, lasts at least 30 more days and lives no longer than SELFSIGNED_DAYS.
good_self_signed() {
    start=$(date -d "$(openssl x509 -in "$TLS_DIR/cert.pem" -noout -startdate | cut -d= -f2)" +%s)
    end=$(date -d "$(openssl x509 -in "$TLS_DIR/cert.pem" -noout -enddate | cut -d= -f2)" +%s)
    matches "$TURN_NAME" && [ $(((end - start) / 86400)) -le "$SELFSIGNED_DAYS" ] &&
        openssl x509 -in "$TLS_DIR/cert.pem" -noout -checkend $((30 * 86400)) >/dev/null
}

umask 077
mkdir -p "$TLS_DIR"

if [ -s "$GIVEN_DIR/cert.pem" ] && [ -s "$GIVEN_DIR/key.pem" ]; then
    echo "init: installing the certificate from compose/certs/"
    cp "$GIVEN_DIR/cert.pem" "$TLS_DIR/cert.pem.new"
    cp "$GIVEN_DIR/key.pem" "$TLS_DIR/key.pem.new"
    mv "$TLS_DIR/key.pem.new" "$TLS_DIR/key.pem"
    mv "$TLS_DIR/cert.pem.new" "$TLS_DIR/cert.pem"
elif [ -s "$TLS_DIR/cert.pem" ] && [ -s "$TLS_DIR/key.pem" ] &&
    matches "$DOMAIN" && { ! self_signed || good_self_signed; }; then
    echo "init: keeping the certificate for $DOMAIN already in the tls volume"
else
    echo "init: making a self-signed certificate for $DOMAIN and $TURN_NAME"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days "$SELFSIGNED_DAYS" -subj "/CN=$DOMAIN" \
        -addext "subjectAltName=DNS:$DOMAIN,DNS:$TURN_NAME" \
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
