"""How the package is installed: a wheel holds every data file the code reads, and a prepared
dataset folder named ``bimotion`` in the current directory (what the docs suggest for
``load_dataset("bimotion", "eng_eld")``) never shadows the package, editable or from a wheel.

The full wheel run (fresh venv, ``bimotion demo``) is ``scripts/check_wheel.sh``, run by CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import bimotion
from bimotion.grid import shipped_config

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("bimotion", "loaders", "yuemotion")
WHERE = "import bimotion, bimotion.grid as g; print(bimotion.__file__); print(g.shipped_config('demo'))"


def dataset_folder_named_bimotion(parent: Path) -> Path:
    """What `bimotion prepare --output bimotion` leaves: a folder with no __init__.py."""
    folder = parent / "bimotion"
    (folder / "data" / "eng_eld").mkdir(parents=True)
    (folder / "README.md").write_text("---\nconfigs: []\n---\n# BiMotion\n")
    (folder / "prepare.json").write_text("{}\n")
    return parent


def import_from(cwd: Path, pythonpath: Path | None = None) -> list[Path]:
    env = None if pythonpath is None else {**os.environ, "PYTHONPATH": str(pythonpath)}
    done = subprocess.run([sys.executable, "-c", WHERE], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return [Path(line) for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (a build in the checkout leaves build/ behind)."""
    if not (REPO / "setup.cfg").is_file():
        pytest.skip(f"{REPO} is not a source checkout")
    src = tmp_path_factory.mktemp("src")
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(out),
        str(src),
    ]
    subprocess.run(command, check=True, capture_output=True)
    (built,) = out.glob("bimotion-*.whl")
    return built


def test_a_dataset_folder_named_bimotion_does_not_shadow_the_installed_package(tmp_path):
    package_file, config = import_from(dataset_folder_named_bimotion(tmp_path))
    assert package_file == Path(bimotion.__file__)
    assert config == shipped_config("demo")


def test_the_wheel_holds_every_data_file_of_the_packages(wheel):
    data_files = {
        path.relative_to(REPO).as_posix()
        for package in PACKAGES
        for path in (REPO / package).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    }
    assert {"bimotion/configs/paper.yaml", "bimotion/configs/demo.yaml"} <= data_files
    with zipfile.ZipFile(wheel) as archive:
        assert data_files <= set(archive.namelist())


def test_the_wheel_installed_beside_a_dataset_folder_named_bimotion_finds_its_configs(wheel, tmp_path):
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:  # a pure-Python wheel installs by unpacking
        archive.extractall(site)
    package_file, config = import_from(dataset_folder_named_bimotion(tmp_path / "cwd"), pythonpath=site)
    assert package_file == site / "bimotion" / "__init__.py"
    assert config == site / "bimotion" / "configs" / "demo.yaml"


def test_an_unknown_grid_config_names_the_shipped_ones():
    with pytest.raises(FileNotFoundError, match=r"no grid config 'nope'.*'authors'.*'demo'.*'paper'.*'probe'"):
        shipped_config("nope")


def test_the_audio_extra_pins_the_torch_its_torchcodec_loads_with(wheel):
    """torchcodec 0.13 is built against torch 2.13 and does not load with another; without a torch pin
    in the extra, ``pip install '.[all]'`` on a fresh machine took the newest torch and a torchcodec
    that fails at its first decode."""
    from importlib.metadata import version

    from packaging.requirements import Requirement
    from packaging.version import Version

    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(name).decode().splitlines()
    audio = [Requirement(line.split(":", 1)[1]) for line in lines if line.startswith("Requires-Dist:")]
    audio = {r.name: r.specifier for r in audio if r.marker and r.marker.evaluate({"extra": "audio"})}
    installed = Version(version("torch"))
    assert installed.release[:2] == (2, 13) and audio["torch"].contains(installed, prereleases=True)
    assert not any(audio["torch"].contains(v) for v in ("2.12.1", "2.14.0", "2.15.0"))
    assert audio["torchcodec"].contains(version("torchcodec"))
    from torchcodec.decoders import AudioDecoder  # loads torchcodec's core against this torch

    assert AudioDecoder.__name__ == "AudioDecoder"
