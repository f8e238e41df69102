"""What differs between the Debian releases, checked on each booted and deployed host: the
host is the release it claims, and the roles' OS vars fit what that release ships."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(900)  # includes booting the host and the first deploy
VENV_PYTHON = "/opt/visavis/venv/bin/python"


def test_host_runs_the_release_its_image_was_built_from(deployment):
    release = deployment.host.run(". /etc/os-release && echo $VERSION_ID $VERSION_CODENAME")
    distribution = deployment.host.distribution
    assert release.split() == [distribution.version, distribution.suite]


def test_nginx_takes_the_site_without_a_warning(deployment, first_deploy):
    # nginx 1.25.1 and later warn about `listen ... http2`: the OS vars pick `http2 on;`.
    output = deployment.host.run("nginx -t 2>&1")
    assert "test is successful" in output
    assert "[warn]" not in output, output


def test_signaling_runs_on_the_releases_own_python(deployment, first_deploy):
    system = deployment.host.run("python3 -c 'import sys; print(*sys.version_info[:2])'")
    service = deployment.host.run(f"{VENV_PYTHON} -c 'import sys; print(*sys.version_info[:2])'")
    assert service == system
