"""The lab's server as deployed, port 443 included: nginx's TLS router (the stream module
reading each ClientHello's name) in front of the site and of coturn's TLS port, signaling
behind nginx, coturn on the server's address. For the network shapes that let only HTTPS out.

    with server_on_443(lab, files, workdir) as server:   # lab: tests.network.lab.nat_lab()
        server.url        # "https://visavis.test": the homes resolve both names to SERVER
        server.ice        # the VISAVIS_* ICE settings signaling hands out (the deploy's URLs)
        server.tls_names()  # [(name asked for in a ClientHello, "turns" | "site"), ...]

`turns_on_443=False` is the same server without the feature (nginx_turns_on_443: false): the
site has 443 to itself and browsers get no TURN URL on 443. The homes' /etc/hosts
(`ip netns exec` mounts /etc/netns/<namespace>/hosts over it) name the server, so Chromium
asks for turn.visavis.test by name, as it would on the internet.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.certs import dh_parameters
from tests.loopback import REPO_ROOT, stop_process
from tests.network import services
from tests.network.lab import SERVER, Lab
from tests.network.services import DOMAIN, TURN_NAME, TURN_PORT, TURNS_PORT
from tests.templates import render_templates

STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"  # Debian's libnginx-mod-stream
TURNS_ON_443 = f"turns:{TURN_NAME}:443?transport=tcp"


@dataclass(frozen=True)
class FrontServer:
    url: str  # what people open
    ice: dict[str, str]  # VISAVIS_STUN_URLS, VISAVIS_TURN_URLS, VISAVIS_TURN_SECRET
    tls_log: Path  # nginx's stream log: one line per TLS connection on 443

    def tls_names(self) -> list[tuple[str, str]]:
        """(server name in the ClientHello, "turns" or "site") per TLS connection so far."""
        if not self.tls_log.exists():
            return []
        pattern = r'sni="([^"]*)" to=unix:\S*?(turns|site)\.sock'
        return [(name, route) for name, route in re.findall(pattern, self.tls_log.read_text())]


def deployed_ice(files: services.ServerFiles, turns_on_443: bool) -> dict[str, str]:
    """The ICE servers a deployed server hands out (STUN, TURN over UDP, TCP and TLS on 5349,
    and with the feature TLS on 443 by name), pointing at the lab's server."""
    urls = [
        f"turn:{SERVER}:{TURN_PORT}?transport=udp",
        f"turn:{SERVER}:{TURN_PORT}?transport=tcp",
        f"turns:{SERVER}:{TURNS_PORT}?transport=tcp",
    ] + ([TURNS_ON_443] if turns_on_443 else [])
    return {
        "VISAVIS_STUN_URLS": f"stun:{SERVER}:{TURN_PORT}",
        "VISAVIS_TURN_URLS": ",".join(urls),
        "VISAVIS_TURN_SECRET": files.turn_secret,
    }


@contextmanager
def server_on_443(
    lab: Lab, files: services.ServerFiles, workdir: Path, *, turns_on_443: bool = True
) -> Iterator[FrontServer]:
    """coturn, signaling behind nginx and nginx on 443 in the lab's internet namespace, and
    the homes' hosts files naming the server; all gone when the block ends."""
    ice = deployed_ice(files, turns_on_443)
    with ExitStack() as stack:
        for home in lab.homes:
            stack.enter_context(hosts_file(home.namespace, {SERVER: [DOMAIN, TURN_NAME]}))
        stack.enter_context(services.coturn(lab.internet, files, workdir))
        stack.enter_context(
            services.signaling(lab.internet, files, workdir, ice, behind_nginx=True)
        )
        tls_log = stack.enter_context(nginx(lab.internet, files, workdir, turns_on_443))
        yield FrontServer(f"https://{DOMAIN}", ice, tls_log)


@contextmanager
def hosts_file(namespace: str, names: dict[str, list[str]]) -> Iterator[Path]:
    """/etc/hosts for processes that `ip netns exec namespace` starts (mounted over theirs)."""
    folder = Path("/etc/netns") / namespace
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["127.0.0.1 localhost"] + [f"{a} {' '.join(n)}" for a, n in names.items()]
    (folder / "hosts").write_text("\n".join(lines) + "\n")
    try:
        yield folder / "hosts"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def nginx(
    namespace: str, files: services.ServerFiles, workdir: Path, turns_on_443: bool
) -> Iterator[Path]:
    """nginx on the site and router templates (infra/nginx/), rendered as the nginx role
    renders them for the lab, in namespace; yields the path of the router's TLS log."""
    site = workdir / f"nginx-{namespace}"
    site.mkdir()
    # Unix socket paths are short (108 bytes) and not per namespace: one folder per nginx.
    sockets = Path(tempfile.mkdtemp(prefix="vvlab-nginx-"))
    sockets.chmod(0o755)  # nginx's workers (nobody) connect to the sockets in it
    tls_log = site / "tls.log"
    render_templates(
        site,
        visavis_domain=DOMAIN,
        coturn_static_auth_secret=files.turn_secret,
        certs_certificate_path=str(files.certificate),
        certs_private_key_path=str(files.private_key),
        coturn_tls_certificate=str(files.certificate),
        coturn_tls_private_key=str(files.private_key),
        nginx_dhparam_file=str(dh_parameters(site / "dhparam.pem")),
        certs_acme_webroot=str(site / "acme"),
        signaling_frontend_dir=str(REPO_ROOT / "frontend"),
        nginx_listen_ipv6=False,
        nginx_signaling_upstream=f"127.0.0.1:{services.BEHIND_NGINX_PORT}",
        nginx_turns_on_443=turns_on_443,
        nginx_site_socket=str(sockets / "site.sock"),
        nginx_turns_socket=str(sockets / "turns.sock"),
        nginx_stream_access_log=str(tls_log),
        **services.LAB_COTURN_VARIABLES,
    )
    router = f"include {site}/visavis-stream.conf;" if turns_on_443 else ""
    (site / "nginx.conf").write_text(f"""daemon off;
pid {site}/nginx.pid;
error_log {site}/error.log;
load_module {STREAM_MODULE};
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {site}/body;
    proxy_temp_path {site}/proxy;
    include {site}/visavis.conf;
}}
{router}
""")
    command = ["nginx", "-p", str(site), "-c", str(site / "nginx.conf")]
    command += ["-e", str(site / "error.log")]
    process = subprocess.Popen(
        ["ip", "netns", "exec", namespace, *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        services.wait_for_listeners(namespace, process, site / "error.log", [("-Hltn", 443)])
        yield tls_log
    finally:
        stop_process(process, timeout=5)
        shutil.rmtree(sockets, ignore_errors=True)
