"""What `make compose-config` renders, run by the real programs: the nginx site passes
`nginx -t` and serves the stack in front of a real signaling service, and coturn starts on its
configuration with the compose command line; compose's own healthchecks pass on both. Each
runs in a closed network namespace (198.51.100.20) where `signaling` resolves as on compose's
network."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import (
    DOMAIN,
    REPO,
    Site,
    in_namespace,
    load_compose,
    read_env,
    render,
    stop,
    wait_for_listener,
)

# The first test to use them builds the wheelhouse, the virtualenv and the rendering.
pytestmark = pytest.mark.timeout(600)

# The official nginx image's nginx.conf, reduced: its http block includes conf.d/*.conf;
# compose/nginx.conf adds the TLS router on 443 at the top level (built into that image).
NGINX_WRAPPER = """
user root;  # the image's workers run as nginx; here the files sit in root-only temp folders
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
include {router};
events {{}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    include {site};
}}
"""


WEBSOCKET_CLIENT = f"""
import json, ssl
from websockets.sync.client import connect
context = ssl.create_default_context()
context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
with connect("wss://{DOMAIN}/ws", ssl=context, origin="https://{DOMAIN}") as socket:
    socket.send(json.dumps({{"type": "create"}}))
    print(socket.recv(timeout=10))
"""


def healthcheck(service: str) -> list[str]:
    test = load_compose()["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return test[1:]


def nginx_wrapper(site: Site, workdir: Path, sockets: Path) -> Path:
    """The rendered site and router with host paths, in a main file like the image's."""
    files = {}
    for name in ("visavis.conf", "visavis-stream.conf"):
        mapped = site.mapped("nginx", name, workdir / name)
        mapped.write_text(mapped.read_text().replace("/run/nginx-visavis-", f"{sockets}/"))
        files[name] = mapped
    wrapper = workdir / "nginx.conf"
    wrapper.write_text(
        NGINX_WRAPPER.format(
            workdir=workdir, site=files["visavis.conf"], router=files["visavis-stream.conf"]
        )
    )
    return wrapper


def test_make_compose_config_wrote_a_turn_secret_shared_by_coturn_and_signaling(site):
    secret = read_env(site.env_file)["TURN_SECRET"]
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert re.fullmatch(r"[0-9a-f]{64}", read_env(site.env_file)["RESUME_SECRET"])
    assert read_env(site.env_file)["RESUME_SECRET"] != secret
    assert f"static-auth-secret={secret}\n" in (site.rendered / "turnserver.conf").read_text()
    environment = read_env(site.rendered / "signaling.env")
    assert environment["VISAVIS_TURN_SECRET"] == secret
    assert site.env_file.stat().st_mode & 0o077 == 0
    assert (site.rendered / "signaling.env").stat().st_mode & 0o077 == 0
    assert site.rendered.stat().st_mode & 0o077 == 0  # others cannot reach the 0644 files


def test_signaling_environment_is_the_signaling_roles_with_compose_addresses(site):
    environment = read_env(site.rendered / "signaling.env")
    assert environment["VISAVIS_HOST"] == "0.0.0.0"
    assert environment["VISAVIS_PORT"] == "8000"
    assert environment["VISAVIS_FRONTEND_DIR"] == "/opt/visavis/frontend"
    assert environment["VISAVIS_STUN_URLS"] == f"stun:{DOMAIN}:3478"
    assert environment["VISAVIS_TURN_URLS"].split(",") == [
        f"turn:{DOMAIN}:3478?transport=udp",
        f"turn:{DOMAIN}:3478?transport=tcp",
        f"turns:{DOMAIN}:5349?transport=tcp",
    ]  # no TURN on 443 without TURN_EXTERNAL_IP (empty in .env.example): see below
    assert "VISAVIS_BROKER_URL" not in environment  # BROKER_URL is empty in .env.example
    # nginx reaches signaling from the compose network, not from loopback as on a host.
    assert environment["VISAVIS_TRUSTED_PROXIES"] == read_env(site.env_file)["INTERNAL_SUBNET"]
    assert environment["VISAVIS_RESUME_SECRET"] == read_env(site.env_file)["RESUME_SECRET"]
    assert environment["VISAVIS_PUBLIC_URL"] == f"https://{DOMAIN}"


def test_turn_on_443_reaches_coturn_on_the_hosts_own_address(tmp_path, site):
    # coturn relays from the address nginx reaches it on: the host's, never the gateway's.
    env_file = tmp_path / ".env"
    env_file.write_text(
        site.env_file.read_text().replace(
            "TURN_EXTERNAL_IP=", "TURN_EXTERNAL_IP=203.0.113.7/198.51.100.20"
        )
    )
    done = render(env_file, tmp_path / "rendered")
    assert done.returncode == 0, done.stdout + done.stderr
    router = (tmp_path / "rendered/visavis-stream.conf").read_text()
    assert f"turn.{DOMAIN} unix:/run/nginx-visavis-turns.sock;" in router
    assert "proxy_pass 198.51.100.20:5349;" in router  # the private side, on the interface
    site_conf = (tmp_path / "rendered/visavis.conf").read_text()
    assert "listen unix:/run/nginx-visavis-site.sock ssl proxy_protocol" in site_conf
    environment = read_env(tmp_path / "rendered/signaling.env")
    assert environment["VISAVIS_TURN_URLS"].endswith(f",turns:turn.{DOMAIN}:443?transport=tcp")


def test_broker_url_reaches_signaling_environment(tmp_path, site):
    env_file = tmp_path / ".env"
    env_file.write_text(
        site.env_file.read_text().replace("BROKER_URL=", "BROKER_URL=redis://redis:6379/0")
    )
    done = render(env_file, tmp_path / "rendered")
    assert done.returncode == 0, done.stdout + done.stderr
    environment = read_env(tmp_path / "rendered/signaling.env")
    assert environment["VISAVIS_BROKER_URL"] == "redis://redis:6379/0"
    for name in ("TURN_SECRET", "RESUME_SECRET"):  # kept once generated
        assert read_env(env_file)[name] == read_env(site.env_file)[name]


def test_init_step_made_a_certificate_coturn_can_read(site):
    tls = site.volumes["tls"]
    subject = subprocess.run(
        ["openssl", "x509", "-in", str(tls / "cert.pem"), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"DNS:{DOMAIN}" in subject
    assert f"DNS:turn.{DOMAIN}" in subject  # TURN over TLS on 443, by its own name
    key = (tls / "key.pem").stat()
    assert (key.st_uid, key.st_gid, key.st_mode & 0o777) == (0, 65534, 0o640)
    assert (tls / "dhparam.pem").stat().st_size > 0


def test_rendered_nginx_site_passes_nginx_t(site, tmp_path, namespace, sockets):
    wrapper = nginx_wrapper(site, tmp_path, sockets)
    assert "proxy_pass http://signaling:8000;" in (site.rendered / "visavis.conf").read_text()
    # .env.example has no TURN_EXTERNAL_IP: the site has 443 alone, the router file is empty.
    router = (site.rendered / "visavis-stream.conf").read_text()
    assert "listen 443" not in router and "Off" in router
    assert "listen 443 ssl" in (site.rendered / "visavis.conf").read_text()
    done = in_namespace(namespace, "nginx", "-t", "-p", str(tmp_path), "-c", str(wrapper))
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_nginx_serves_the_stack_and_passes_its_healthcheck(
    site, tmp_path, namespace, signaling_venv, sockets
):
    environment = {
        **read_env(site.rendered / "signaling.env"),
        "VISAVIS_FRONTEND_DIR": str(REPO / "frontend"),  # the image's copy of frontend/
        "VISAVIS_STATE_DIR": str(tmp_path),  # the `state` volume
        "PATH": "/usr/bin:/bin",
    }
    signaling_log = (tmp_path / "signaling.log").open("w")
    signaling = subprocess.Popen(
        ["ip", "netns", "exec", namespace, str(signaling_venv / "bin/python"), "-m", "signaling"],
        env=environment,
        cwd=tmp_path,
        stdout=signaling_log,
        stderr=subprocess.STDOUT,
    )
    challenge = site.volumes["acme"] / ".well-known/acme-challenge"
    challenge.mkdir(parents=True, exist_ok=True)
    (challenge / "token-1").write_text("token-1.thumbprint")
    wrapper = nginx_wrapper(site, tmp_path, sockets)
    nginx = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            namespace,
            "nginx",
            "-p",
            str(tmp_path),
            "-c",
            str(wrapper),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for_listener(namespace, 8000, signaling), (
            tmp_path / "signaling.log"
        ).read_text()
        assert wait_for_listener(namespace, 443, nginx), stop(nginx)
        health = in_namespace(namespace, *healthcheck("nginx"), timeout=30)
        assert health.returncode == 0, health.stdout + health.stderr
        curl = [
            "curl",
            "--silent",
            "--insecure",
            "--resolve",
            f"{DOMAIN}:443:198.51.100.20",
            "--resolve",
            f"{DOMAIN}:80:198.51.100.20",
        ]
        page = in_namespace(namespace, *curl, f"https://{DOMAIN}/", timeout=30).stdout
        assert "<html" in page.lower()
        token = in_namespace(
            namespace, *curl, f"http://{DOMAIN}/.well-known/acme-challenge/token-1", timeout=30
        )
        assert token.stdout == "token-1.thumbprint"
        redirect = in_namespace(
            namespace,
            *curl,
            "--write-out",
            "%{http_code} %{redirect_url}",
            "--output",
            "/dev/null",
            f"http://{DOMAIN}/abc",
            timeout=30,
        )
        assert redirect.stdout == f"301 https://{DOMAIN}/abc"
        # A browser's WebSocket: through nginx to signaling, past its Origin check.
        call = in_namespace(
            namespace, str(signaling_venv / "bin/python"), "-c", WEBSOCKET_CLIENT, timeout=30
        )
        assert call.returncode == 0, call.stderr[-2000:]
        # ACCESS=hosts (.env.example): signaling itself answers, refusing a stranger's meeting.
        assert json.loads(call.stdout)["code"] == "hosts-only"
    finally:
        stop(nginx)
        stop(signaling)
        signaling_log.close()


def test_coturn_starts_on_the_rendered_configuration_with_the_compose_command(
    site, tmp_path, namespace
):
    config = site.mapped("coturn", "turnserver.conf", tmp_path / "turnserver.conf")
    assert "denied-peer-ip=10.0.0.0-10.255.255.255" in config.read_text()
    command = load_compose()["services"]["coturn"]["command"]
    assert command[:2] == ["-c", "/etc/coturn/turnserver.conf"]
    arguments = ["-c", str(config)] + [
        f"--pidfile={tmp_path}/turnserver.pid" if argument.startswith("--pidfile=") else argument
        for argument in command[2:]
    ]
    server = subprocess.Popen(
        ["ip", "netns", "exec", namespace, "turnserver", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        listening = wait_for_listener(namespace, 5349, server)
        health = in_namespace(namespace, *healthcheck("coturn"), timeout=10)
    finally:
        log = stop(server)
    assert "Bad configuration format" not in log
    assert "CONFIG ERROR" not in log
    assert listening, "coturn did not open its TLS listener:\n" + log[-3000:]
    assert health.returncode == 0, health.stderr
    assert "static-auth-secret" not in log
