"""Build (or reuse) the wheels the signaling service needs on a host, on the controller.

Dependencies are downloaded as binary wheels for the host's Python and machine, pinned by
constraints.txt; the visavis wheel is built from the checkout. Both are cached in
directories named after a hash of their inputs, built in a temporary directory and renamed
when complete, so an interrupted run never leaves a half-filled cache. Each directory gets a
requirements.txt pinning its wheels by version and sha256 (computed by `pip hash`), which
the host's `pip install --require-hashes` checks: a wheel altered after it was built or
downloaded here is refused. Prints JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

# glibc versions of the manylinux tags to accept; every supported host has at least 2.35.
MANYLINUX_GLIBC_MINORS = range(17, 36)


def requirements(project: Path, extras: list[str]) -> list[str]:
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    found = list(meta["dependencies"])
    for extra in extras:
        found += meta.get("optional-dependencies", {}).get(extra, [])
    return found


def digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()[:16]


def fill(target: Path, build) -> bool:
    """Run build(tmpdir) unless target exists; returns True when it built."""
    if target.is_dir():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        build(scratch)
        try:
            scratch.rename(target)
        except OSError:
            if not target.is_dir():  # else another deploy filled it meanwhile
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return True


def pip(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"pip {args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


# Part of every cache key: caches of an earlier layout (no requirements.txt) are not reused.
CACHE_LAYOUT = b"pinned-by-hash"
# The file beside the wheels that pins them; pip reads it with --require-hashes.
REQUIREMENTS = "requirements.txt"


def pin_by_hash(wheel_dir: Path) -> None:
    """Write wheel_dir/requirements.txt: `name==version --hash=sha256:...` per wheel."""
    wheels = sorted(wheel_dir.glob("*.whl"))
    # `pip hash` prints "<path>:" then "--hash=sha256:<digest>" for each file.
    printed = pip("hash", "--algorithm", "sha256", *map(str, wheels)).split()
    digests = dict(zip(printed[::2], printed[1::2], strict=True))
    lines = []
    for wheel in wheels:
        # A wheel's file name is {name}-{version}-...; neither part may contain "-".
        name, version = wheel.name.split("-")[:2]
        lines.append(f"{name}=={version} {digests[f'{wheel}:']}")
    (wheel_dir / REQUIREMENTS).write_text("\n".join(lines) + "\n")


def missing_for_host(wheel_dir: Path, full_version: str) -> list[str]:
    """Requirements of the downloaded wheels that the host's Python needs but pip left out.

    `pip download --python-version` evaluates markers on python_full_version with the
    controller's own interpreter: redis' `async-timeout; python_full_version < "3.11.3"` is
    skipped on a 3.11.7 controller, yet Debian 12's 3.11.2 needs it. Markers are evaluated
    here for the host (extras' requirements are pip's, already resolved)."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    environment = default_environment() | {
        "python_full_version": full_version,
        "python_version": ".".join(full_version.split(".")[:2]),
        "extra": "",
    }
    present = {canonicalize_name(wheel.name.split("-")[0]) for wheel in wheel_dir.glob("*.whl")}
    wanted: list[str] = []
    for wheel in sorted(wheel_dir.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            metadata = next(name for name in archive.namelist() if name.endswith("/METADATA"))
            lines = archive.read(metadata).decode().splitlines()
        for line in lines:
            if not line.startswith("Requires-Dist:"):
                continue
            requirement = Requirement(line.split(":", 1)[1].strip())
            if requirement.marker is None or not requirement.marker.evaluate(environment):
                continue
            if canonicalize_name(requirement.name) not in present:
                wanted.append(f"{requirement.name}{requirement.specifier}")
    return sorted(set(wanted))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--python-version", required=True, help="the host's, e.g. 3.11")
    parser.add_argument(
        "--python-full-version", default="", help="the host's, e.g. 3.11.2 (markers need it)"
    )
    parser.add_argument("--machine", required=True, help="the host's, e.g. x86_64")
    parser.add_argument("--extras", default="")
    options = parser.parse_args()
    project = options.project.resolve()
    extras = [extra for extra in options.extras.split(",") if extra]
    constraints = project / "constraints.txt"
    needs = requirements(project, extras)
    tag = f"cp{options.python_version.replace('.', '')}"

    deps_key = digest(
        CACHE_LAYOUT,
        constraints.read_bytes(),
        "\n".join(needs).encode(),
        tag.encode(),
        options.machine.encode(),
        options.python_full_version.encode(),
    )
    deps = options.cache / f"deps-{tag}-{options.machine}-{deps_key}"

    def download(into: Path, requirements: list[str] | None = None) -> None:
        platforms = [f"manylinux2014_{options.machine}"] + [
            f"manylinux_2_{minor}_{options.machine}" for minor in MANYLINUX_GLIBC_MINORS
        ]
        pip(
            "download",
            "--quiet",
            "--only-binary=:all:",
            "--dest",
            str(into),
            "--python-version",
            options.python_full_version or options.python_version,
            "--implementation",
            "cp",
            "--abi",
            tag,
            "--abi",
            "abi3",
            "--abi",
            "none",
            *[arg for platform in platforms for arg in ("--platform", platform)],
            "--constraint",
            str(constraints),
            *(requirements or needs),
        )
        if requirements is None and options.python_full_version:
            extra = missing_for_host(into, options.python_full_version)
            if extra:
                download(into, extra)
        pin_by_hash(into)

    sources = sorted((project / "signaling").rglob("*.py"))
    app_key = digest(
        CACHE_LAYOUT,
        (project / "pyproject.toml").read_bytes(),
        *[str(path.relative_to(project)).encode() + b"\0" + path.read_bytes() for path in sources],
    )
    app = options.cache / f"app-{app_key}"

    def build_app(into: Path) -> None:
        # Build from a copy, so the checkout gets no build/ or egg-info litter.
        with tempfile.TemporaryDirectory() as source:
            for name in ("pyproject.toml", "README.md"):
                shutil.copy2(project / name, source)
            shutil.copytree(
                project / "signaling",
                Path(source) / "signaling",
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
            pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(into), source)
        pin_by_hash(into)

    built = fill(deps, download)
    built = fill(app, build_app) or built
    wheels = sorted(path.name for path in app.glob("*.whl"))
    print(
        json.dumps(
            {
                "deps_dir": str(deps),
                "deps_key": deps.name,
                "app_dir": str(app),
                "app_key": app.name,
                "app_wheel": wheels[0],
                "requirements": REQUIREMENTS,
                "extras": extras,
                "built": built,
            }
        )
    )


if __name__ == "__main__":
    main()
