"""When the TLS certificates people are served expire (nginx's on 443, coturn's on 5349),
read with a TLS handshake as a browser would make one, for the metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

from cryptography import x509

from .config_rules import split_endpoint
from .logs import event
from .metrics import Metrics

CHECK_INTERVAL = 600.0  # seconds between checks: certificates change at renewals only
RETRY_INTERVAL = 60.0  # seconds, after a check that failed
# The first check waits for this process' own listener (when it serves TLS itself).
FIRST_CHECK_DELAY = 1.0
HANDSHAKE_TIMEOUT = 10.0  # seconds


async def expiry(host: str, port: int, timeout: float = HANDSHAKE_TIMEOUT) -> float:
    """notAfter of the certificate `host:port` presents for the name `host`, in Unix seconds.

    Raises OSError (refused, unreachable, handshake failed), TimeoutError (no handshake
    within `timeout` seconds) or ValueError (no certificate, or not one we can read)."""
    # Not verified on purpose: an expired or self-signed certificate must still be reported.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=context, server_hostname=host), timeout
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), timeout)
    if not der:
        raise ValueError(f"{host}:{port} presented no certificate")
    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()


async def check(endpoints: tuple[str, ...], metrics: Metrics) -> bool:
    """One check of every endpoint: `visavis_certificate_expiry_timestamp_seconds` and
    `visavis_certificate_check_success` per endpoint. A failed check keeps the last expiry
    known and sets success to 0; it never raises. True if every endpoint answered."""
    answered = True
    for endpoint in endpoints:
        try:
            not_after = await expiry(*split_endpoint(endpoint))
        except (OSError, TimeoutError, ValueError) as error:
            metrics.certificate_check_success.labels(endpoint).set(0)
            answered = False
            event("certificate-check-failed", logging.WARNING, endpoint=endpoint, error=str(error))
            continue
        metrics.certificate_expiry.labels(endpoint).set(not_after)
        metrics.certificate_check_success.labels(endpoint).set(1)
    return answered


async def watch(endpoints: tuple[str, ...], metrics: Metrics) -> None:
    """`check` soon after start, then every CHECK_INTERVAL seconds (RETRY_INTERVAL after a
    failure), until cancelled."""
    await asyncio.sleep(FIRST_CHECK_DELAY)
    while True:
        answered = await check(endpoints, metrics)
        await asyncio.sleep(CHECK_INTERVAL if answered else RETRY_INTERVAL)
