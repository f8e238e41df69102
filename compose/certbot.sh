#!/bin/sh
# compose's `certbot` service (profile `letsencrypt`): obtain a Let's Encrypt certificate for
# $DOMAIN and turn.$DOMAIN (TURN over TLS on 443) with the webroot challenge nginx serves on
# port 80, then try a renewal twice a day.
# Each new certificate is copied into the `tls` volume nginx and coturn read (key root:65534
# 0640 for coturn, as compose/init.sh leaves it); nginx reloads it within 6 hours by itself,
# coturn within a minute (compose/coturn.sh notices the change and sends it SIGUSR2).
#   certbot.sh           the service's loop
#   certbot.sh install   certbot's deploy hook ($RENEWED_LINEAGE is the live directory)
set -eu

TLS_DIR=${TLS_DIR:-/etc/visavis/tls}
WEBROOT=${WEBROOT:-/var/www/visavis-acme}
COTURN_GID=${COTURN_GID:-65534}
LETSENCRYPT_DIR=${LETSENCRYPT_DIR:-/etc/letsencrypt}  # certbot's config-dir

if [ "${1:-}" = install ]; then
    umask 077
    cp "$RENEWED_LINEAGE/fullchain.pem" "$TLS_DIR/cert.pem.new"
    cp "$RENEWED_LINEAGE/privkey.pem" "$TLS_DIR/key.pem.new"
    chown "0:$COTURN_GID" "$TLS_DIR/key.pem.new"
    chmod 0640 "$TLS_DIR/key.pem.new"
    chmod 0644 "$TLS_DIR/cert.pem.new"
    mv "$TLS_DIR/key.pem.new" "$TLS_DIR/key.pem"
    mv "$TLS_DIR/cert.pem.new" "$TLS_DIR/cert.pem"
    echo "certbot: installed the certificate for $DOMAIN into the tls volume"
    exit 0
fi

: "${DOMAIN:?DOMAIN is not set in .env}"
: "${LETSENCRYPT_EMAIL:?LETSENCRYPT_EMAIL is not set in .env: Let's Encrypt writes there about expiry}"
hook="/bin/sh $0 install"

# shellcheck disable=SC2086 # ACME_SERVER adds two words or none
if ! certbot certonly --non-interactive --agree-tos --webroot --webroot-path "$WEBROOT" \
    --domain "$DOMAIN" --domain "turn.$DOMAIN" --expand \
    --email "$LETSENCRYPT_EMAIL" --cert-name "$DOMAIN" --keep-until-expiring ${ACME_SERVER:+--server "$ACME_SERVER"}; then
    # Usually DNS or port 80 not reaching nginx yet; wait before the restart tries again,
    # well inside Let's Encrypt's limit on failed validations.
    echo "certbot: no certificate for $DOMAIN; trying again in an hour" >&2
    sleep 3600
    exit 1
fi
# Also when certbot kept its certificate: the tls volume may still hold a self-signed one.
RENEWED_LINEAGE="$LETSENCRYPT_DIR/live/$DOMAIN" /bin/sh "$0" install

trap 'exit 0' TERM INT
while :; do
    sleep 43200 &
    wait $!
    certbot renew --non-interactive --deploy-hook "$hook"
done
