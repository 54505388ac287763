"""A non-editable install (`pip install .` into a fresh venv) carries the whole namespace."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_install_imports_every_part(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".clients", "node_modules", "*.egg-info",
                                                             "__pycache__", "build", ".hypothesis"))
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(dist), str(src)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(dist.glob("apiswitch-*.whl"))
    env_dir = tmp_path / "venv"
    # System site-packages give the venv pydantic and friends without the network; the package itself is
    # installed for real from a wheel (not editable).
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    py = env_dir / "bin" / "python"
    install = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    probe = ("import apiswitch, apiswitch.codegen.cli, apiswitch.generated, apiswitch.runtime\n"
             "print(apiswitch.generated.__file__)\n"
             "from importlib.resources import files\n"
             "print(files('apiswitch.codegen').joinpath('templates/models.py.jinja').is_file())")
    out = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    location, has_templates = out.stdout.split()
    assert "site-packages" in location and str(src) not in location
    assert has_templates == "True"
    script = env_dir / "bin" / "apiswitch"
    assert script.exists()
