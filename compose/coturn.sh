#!/bin/sh
# compose's `coturn` service: turnserver with the arguments given, and a watch on the
# certificate in the `tls` volume. When it changes (certbot's renewal, or `docker compose run
# --rm init` installing one from compose/certs/), SIGUSR2 makes coturn read the certificate
# and key again and keep every allocation: calls relayed at that moment go on.
#   coturn.sh TURNSERVER-ARGUMENT...
set -eu

CERTIFICATE=${CERTIFICATE:-/etc/coturn/tls/cert.pem}
CERTIFICATE_CHECK_SECONDS=${CERTIFICATE_CHECK_SECONDS:-60}

certificate_sum() {
    cksum <"$CERTIFICATE" 2>/dev/null || echo missing
}

loaded=$(certificate_sum)
(
    # $$ stays this shell's PID, which `exec` below hands to turnserver. The first check
    # comes a whole interval after the start: turnserver has its SIGUSR2 handler by then
    # (without one the signal would end it).
    while sleep "$CERTIFICATE_CHECK_SECONDS"; do
        now=$(certificate_sum)
        [ "$now" = "$loaded" ] && continue
        # init and certbot.sh move the key in first, then the certificate: both are new.
        kill -USR2 $$ || exit 0
        loaded=$now
        echo "coturn.sh: the certificate changed; coturn reloads it (SIGUSR2), keeping its allocations"
    done
) &
exec turnserver "$@"
