"""deploy/: the properties docs/DEPLOY.md promises, checked in the files themselves.

No Docker daemon or systemd runs in CI, so compose.yaml, the Dockerfile and the units are
parsed here; `docker compose config` and `systemd-analyze verify` run too when installed.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _compose(name: str = "compose.yaml") -> dict[str, object]:
    data = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _services(name: str = "compose.yaml") -> dict[str, dict[str, object]]:
    services = _compose(name)["services"]
    assert isinstance(services, dict)
    return services


def _unit(name: str) -> dict[str, list[str]]:
    """key -> every value it is given (systemd keys may repeat)."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


# --- compose -------------------------------------------------------------------------------


def test_compose_services_restart_unless_stopped_and_have_healthchecks() -> None:
    services = _services()
    assert set(services) == {"db", "bot", "backup"}
    for name, service in services.items():
        assert service["restart"] == "unless-stopped", name
        check = service["healthcheck"]
        assert isinstance(check, dict) and check["interval"] and check["start_period"], name
    assert "/readyz" in services["bot"]["healthcheck"]["test"]  # type: ignore[index,operator]


def test_compose_publishes_nothing_publicly() -> None:
    services = _services()
    assert "ports" not in services["db"] and "ports" not in services["backup"]
    ports = services["bot"]["ports"]
    assert isinstance(ports, list) and ports
    for port in ports:
        assert str(port).startswith("127.0.0.1:"), port
        assert str(port).endswith(":9090"), "only the ops port, on the host's loopback"
    assert services["bot"]["environment"]["OPS_HOST"] == "0.0.0.0"  # type: ignore[index]


def test_compose_secrets_come_from_the_env_file() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    services = _services()
    assert services["bot"]["env_file"] == ".env"
    db_env = services["db"]["environment"]
    assert isinstance(db_env, dict)
    assert db_env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "bot:bot@" not in text and "PASSWORD: bot" not in text
    assert "${POSTGRES_PASSWORD" in services["bot"]["environment"]["DATABASE_URL"]  # type: ignore[index]


def test_compose_mounts_the_clinics_content_read_only() -> None:
    bot = _services()["bot"]
    content_dir = bot["environment"]["CONTENT_DIR"]  # type: ignore[index]
    assert any(
        str(v).endswith(f":{content_dir}:ro")
        for v in bot["volumes"]  # type: ignore[attr-defined]
    )
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert bot["read_only"] is True and bot["cap_drop"] == ["ALL"]


def test_compose_backup_service_runs_backup_sh() -> None:
    backup = _services()["backup"]
    assert any(str(v).startswith("./backup.sh:") for v in backup["volumes"])  # type: ignore[attr-defined]
    assert backup["environment"]["PGHOST"] == "db"  # type: ignore[index]
    assert "check" in backup["healthcheck"]["test"]  # type: ignore[index,operator]


def test_webhook_override_serves_the_webhook_through_the_proxy_only() -> None:
    services = _services("compose.webhook.yaml")
    assert services["bot"]["command"] == ["exercise-bot", "run", "--webhook"]
    assert "ports" not in services["bot"]
    assert services["proxy"]["restart"] == "unless-stopped"
    assert "443:443" in services["proxy"]["ports"]  # type: ignore[operator]
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "handle /webhook" in caddyfile and "respond 404" in caddyfile


def test_every_variable_compose_reads_is_in_env_example() -> None:
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    for name in ("compose.yaml", "compose.webhook.yaml"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        for variable in set(re.findall(r"\$\{([A-Z_]+)", text)):
            assert re.search(rf"^#? ?{variable}=", example, re.MULTILINE), (name, variable)


def _compose_cli() -> list[str] | None:
    if shutil.which("docker") and (
        subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_docker_compose_config_accepts_both_files(tmp_path: Path) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    project = tmp_path / "deploy"
    shutil.copytree(DEPLOY, project)
    shutil.copy(DEPLOY / ".env.example", project / ".env")
    for files in (["compose.yaml"], ["compose.yaml", "compose.webhook.yaml"]):
        args = [a for f in files for a in ("-f", str(project / f))]
        env = {**os.environ, "BOT_DOMAIN": "bot.example.org"}
        done = subprocess.run(
            [*cli, *args, "config", "-q"], cwd=project, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_installs_the_wheel_with_the_lock_as_a_non_root_user() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert " -e " not in text and "--editable" not in text
    assert "pip wheel" in text
    assert "--require-hashes -r /opt/exercise-bot/requirements.lock" in text
    assert re.search(r"pip install [^\n]*--no-deps [^\n]*exercise_bot-\*\.whl", text)
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert text.index("USER ") < text.index("CMD ")


def test_dockerfile_healthcheck_has_timing_and_reads_the_port() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    check = re.search(r"^HEALTHCHECK (.*?)(?<!\\)$", text, re.MULTILINE | re.DOTALL)
    assert check
    line = check.group(0)
    assert "--interval=" in line and "--start-period=" in line
    assert "/readyz" in line and "healthcheck.py" in line
    assert not re.search(r"\b(8080|9090)\b", line), "the port comes from OPS_PORT"


def test_dockerignore_lets_in_what_the_dockerfile_copies() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    copied = [
        source
        for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.MULTILINE)
        for source in line.split()[:-1]
    ]
    assert copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert f"!{source.rstrip('/')}" in ignore or f"!{source.rstrip('/')}/" in ignore, source


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        code = 200 if self.path in ("/readyz", "/healthz") else 503
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok\n" if code == 200 else b"database: unreachable\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ops_port() -> Iterator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_healthcheck_script_reads_ops_port_and_ignores_proxies(ops_port: int) -> None:
    env = {**os.environ, "OPS_PORT": str(ops_port), "HTTP_PROXY": "http://127.0.0.1:9"}
    script = [sys.executable, str(DEPLOY / "healthcheck.py")]
    assert subprocess.run(script, env=env, capture_output=True).returncode == 0
    failing = subprocess.run([*script, "/broken"], env=env, capture_output=True, text=True)
    assert failing.returncode == 1
    assert "503 database: unreachable" in failing.stderr
    env["OPS_PORT"] = "1"
    assert subprocess.run(script, env=env, capture_output=True).returncode == 1


# --- systemd -------------------------------------------------------------------------------


def test_service_is_hardened() -> None:
    unit = _unit("exercise-bot.service")
    expected = {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "PrivateDevices": "yes",
        "RestrictSUIDSGID": "yes",
        "CapabilityBoundingSet": "",
    }
    for key, value in expected.items():
        assert unit.get(key) == [value], key
    assert unit["User"] == ["exercise-bot"]
    assert "/var/lib/exercise-bot" in " ".join(unit["ReadWritePaths"]).split()
    assert unit["WorkingDirectory"] == ["/var/lib/exercise-bot"]
    assert unit["EnvironmentFile"] == ["/etc/exercise-bot/exercise-bot.env"]


def test_service_does_not_restart_loop_on_bad_configuration() -> None:
    unit = _unit("exercise-bot.service")
    assert unit["Restart"] == ["on-failure"]
    assert "2" in unit["RestartPreventExitStatus"][0].split()
    assert "ExecStartPre" not in unit  # a failing pre-step would be retried for ever
    assert unit["ExecStart"] == ["/opt/exercise-bot/venv/bin/exercise-bot run"]


def test_backup_timer_runs_backup_sh_once() -> None:
    unit = _unit("exercise-bot-backup.service")
    assert unit["Type"] == ["oneshot"]
    assert unit["ExecStart"] == ["/opt/exercise-bot/backup.sh"]
    assert "BACKUP_ONCE=1" in unit["Environment"][0].split()
    assert _unit("exercise-bot-backup.timer")["Persistent"] == ["true"]


# --- .env.example ----------------------------------------------------------------------------


def test_env_example_documents_every_setting() -> None:
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    names = [name.upper() for name in Settings.model_fields]
    assert "ALLOW_EXAMPLE_CONTENT" in names
    for name in names:
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), f"{name} is not in .env.example"


def test_env_example_is_readable_by_systemd_and_compose() -> None:
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_]+", name), line
        assert value and value == value.strip(), f"{name}: empty or padded"
        assert "#" not in value and '"' not in value and "'" not in value, line


def test_shell_scripts_pass_shellcheck() -> None:
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed")
    scripts = [DEPLOY / "backup.sh", DEPLOY / "update-locks", ROOT / ".ci" / "wheel-smoke"]
    done = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_caddyfile_is_valid(tmp_path: Path) -> None:
    if not shutil.which("caddy"):
        pytest.skip("caddy is not installed")
    env = {**os.environ, "BOT_DOMAIN": "bot.example.org", "XDG_DATA_HOME": str(tmp_path)}
    command = ["caddy", "validate", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
