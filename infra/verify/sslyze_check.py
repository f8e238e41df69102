"""Check one TLS endpoint against Mozilla's "intermediate" profile with sslyze's own API.

Run by the Python of sslyze's virtualenv (`make verify` installs it; test_tls.py calls this),
not by the tests' interpreter: sslyze is pinned apart from the test dependencies.

    python sslyze_check.py NAME PORT ADDRESS [--ca-file PEM]

NAME goes into SNI, the connection goes to ADDRESS:PORT. Prints one JSON object:
{"issues": ["criterion: description", ...], "notes": [...]}; no issues means compliant.
A scan command that never completed is an issue "scan: <command> did not complete".

Why not the sslyze command line: its compliance check needs every scan command to complete
in one scan, and gives no verdict at all otherwise. coturn 4.6.1 (Debian 12 and 13) does not
answer a TLS 1.0 or 1.1 ClientHello on its TLS port (it waits for more, as for plain TCP), so
each such probe waits out its timeout: the scan takes minutes, and the connections it holds
crowd out others (the OpenSSL CCS-injection probe then timed out, its retries too, and the
command line's reruns of the whole scan took over 15 minutes). Here only the commands that
did not complete run again, alone, with fewer connections at once.

sslyze's CCS-injection probe (CVE-2014-0224) sends an early ChangeCipherSpec, then an
application data record. A server that is not vulnerable rejects the early CCS and closes the
connection; when the close arrives before the second send, that send fails with a reset and
sslyze reports an error (sslyze issues #548, #604), though it reads the same close one line
later as "not vulnerable". coturn 4.6.1 closes that fast in one probe in 8 to 20 (local runs),
more on a loaded machine; such an error is read here as sslyze reads the close.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from sslyze import (
    CertificateInfoExtraArgument,
    OpenSslCcsInjectionScanResult,
    ScanCommand,
    ScanCommandAttemptStatusEnum,
    ScanCommandsExtraArguments,
    Scanner,
    ServerNetworkConfiguration,
    ServerNetworkLocation,
    ServerScanRequest,
    ServerScanResult,
    ServerScanStatusEnum,
)
from sslyze.mozilla_tls_profile.tls_config_checker import (
    SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
    MozillaTlsConfiguration,
    ServerNotCompliantWithTlsConfiguration,
    TlsConfigurationEnum,
    check_server_against_tls_configuration,
)

# Connections open at once against the server: the first scan holds many waiting ones
# (above); a rerun goes easy on the server, as sslyze's --slow_connection (2) does.
FIRST_CONNECTIONS = 10
RERUN_CONNECTIONS = 2
RERUNS = 2


def scan(name: str, port: int, address: str, ca_file: Path | None, connections: int, commands):
    """The ServerScanResult of `commands` (ScanCommands) against address:port with name in
    SNI, at most `connections` connections open at once."""
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=ca_file) if ca_file else None
    )
    request = ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=name, port=port, ip_address=address),
        network_configuration=ServerNetworkConfiguration(tls_server_name_indication=name),
        scan_commands=set(commands),
        scan_commands_extra_arguments=extra,
    )
    scanner = Scanner(per_server_concurrent_connections_limit=connections)
    scanner.queue_scans([request])
    return next(iter(scanner.get_results()))


# The probe's two sends after the server's hello (sslyze/plugins/openssl_ccs_injection_plugin.py).
CCS_PROBE = "_do_handshake_with_ccs_injection"
CCS_SENDS = ("self._sock.send(payload)", "self._sock.send(app_data_record.to_bytes())")
RESETS = ("ConnectionResetError", "BrokenPipeError", "ConnectionAbortedError")


def rejected_early_ccs(trace) -> bool:
    """Whether a failed CCS-injection attempt's trace (a traceback.TracebackException, its
    chained exceptions included) is the server closing the connection on the early CCS."""
    while trace is not None:
        last = trace.stack[-1] if trace.stack else None
        name = getattr(trace, "exc_type_str", None) or trace.exc_type.__name__
        if last and last.name == CCS_PROBE and last.line in CCS_SENDS and name in RESETS:
            return True
        trace = trace.__cause__ or trace.__context__
    return False


def ccs_read(result: ServerScanResult, notes: list[str]) -> ServerScanResult:
    """result with a CCS-injection attempt that failed on the server's close (above) completed
    as not vulnerable, and a note saying so."""
    attempt = result.scan_result.openssl_ccs_injection if result.scan_result else None
    if attempt is None or not rejected_early_ccs(attempt.error_trace):
        return result
    notes.append("openssl_ccs_injection: the server closed on the early CCS (not vulnerable)")
    read = dataclasses.replace(
        attempt,
        status=ScanCommandAttemptStatusEnum.COMPLETED,
        error_reason=None,
        error_trace=None,
        result=OpenSslCcsInjectionScanResult(is_vulnerable_to_ccs_injection=False),
    )
    scan_result = dataclasses.replace(result.scan_result, openssl_ccs_injection=read)
    return dataclasses.replace(result, scan_result=scan_result)


def incomplete(result: ServerScanResult) -> list[str]:
    """The scan commands Mozilla's checker needs that did not complete (all of them if the
    scan did not)."""
    if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        return [command.value for command in SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER]
    return [
        command.value
        for command in SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER
        if getattr(result.scan_result, command.value).status
        != ScanCommandAttemptStatusEnum.COMPLETED
    ]


def merged(result: ServerScanResult, rerun: ServerScanResult) -> ServerScanResult:
    """result with the attempts that completed in rerun (a scan of some commands) in place."""
    if result.scan_result is None:
        return rerun
    if rerun.scan_result is None:
        return result
    completed = {
        command.value: getattr(rerun.scan_result, command.value)
        for command in SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER
        if getattr(rerun.scan_result, command.value).status
        == ScanCommandAttemptStatusEnum.COMPLETED
    }
    scan_result = dataclasses.replace(result.scan_result, **completed)
    return dataclasses.replace(result, scan_status=rerun.scan_status, scan_result=scan_result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("port", type=int)
    parser.add_argument("address")
    parser.add_argument("--ca-file", type=Path)
    options = parser.parse_args()

    notes: list[str] = []

    def scan_of(commands, connections: int) -> ServerScanResult:
        result = scan(
            options.name, options.port, options.address, options.ca_file, connections, commands
        )
        return ccs_read(result, notes)

    result = scan_of(SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER, FIRST_CONNECTIONS)
    missing = incomplete(result)
    for _ in range(RERUNS):
        if not missing:
            break
        notes.append(f"did not complete, run again: {', '.join(missing)}")
        rerun = scan_of([ScanCommand(command) for command in missing], RERUN_CONNECTIONS)
        result = merged(result, rerun)
        missing = incomplete(result)
    if missing:
        issues = [f"scan: {command} did not complete" for command in missing]
    else:
        profile = MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE)
        try:
            check_server_against_tls_configuration(result, profile)
            issues = []
        except ServerNotCompliantWithTlsConfiguration as failed:
            issues = [f"{criterion}: {text}" for criterion, text in failed.issues.items()]
    print(json.dumps({"issues": issues, "notes": notes}))


if __name__ == "__main__":
    main()
