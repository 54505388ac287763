"""`apiswitch serve` as the user runs it: a subprocess with a config file, on a free port on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

UPSTREAM_KEY_ENV = "APISWITCH_TEST_UPSTREAM_KEY"
# Recognisable, so a test can tell the provider's key from the client's wherever it turns up.
UPSTREAM_KEY = "sk-upstream-provider-key-4e1f"
UPSTREAM_MODEL = "upstream-model-7"  # what the proxy's route renames every client model to


class ProxyNotReady(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proxy_config(providers: list[tuple[str, str, str]], upstream_model: str, port: int, log_path: Path,
                 provider_extra: str = "") -> str:
    """Every client model goes to the providers `(name, format, base_url)` in order (failover order),
    renamed to `upstream_model`; all share the one recognisable provider key. `provider_extra` is TOML
    added to every provider table (quirks, for instance)."""
    lines = ["[server]", 'host = "127.0.0.1"', f"port = {port}", "", "[log]", f'path = "{log_path.as_posix()}"', ""]
    for name, fmt, base_url in providers:
        lines += [f"[providers.{name}]", f'format = "{fmt}"', f'base_url = "{base_url}"',
                  f'api_key_env = "{UPSTREAM_KEY_ENV}"', provider_extra, ""]
    targets = ", ".join(f'"{name}:{upstream_model}"' for name, _, _ in providers)
    lines += ["[routes]", f'"*" = [{targets}]', ""]
    return "\n".join(lines)


def single_provider_config(fmt: str, base_url: str, upstream_model: str, port: int, log_path: Path) -> str:
    return proxy_config([("scripted", fmt, base_url)], upstream_model, port, log_path)


class ServedProxy:
    def __init__(self, config_text: str, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.config_path = workdir / "apiswitch.toml"
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(config_text)
        self.stdout_path = workdir / "serve.out"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServedProxy:
        # A scratch HOME and XDG dirs: whatever the proxy writes by default stays in the test's folder.
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
               "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
               "NO_PROXY": "127.0.0.1,localhost", UPSTREAM_KEY_ENV: UPSTREAM_KEY}
        for name in ("VIRTUAL_ENV", "PYTHONPATH"):
            if name in os.environ:
                env[name] = os.environ[name]
        args = [sys.executable, "-m", "apiswitch", "serve", "--config", str(self.config_path)]
        with self.stdout_path.open("wb") as out:
            self.process = subprocess.Popen(args, env=env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ProxyNotReady(f"`apiswitch serve` exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise ProxyNotReady(f"`apiswitch serve` did not answer GET /health within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace")[-4000:] if self.stdout_path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> ServedProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
