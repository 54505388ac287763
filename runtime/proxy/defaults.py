"""The configuration `apiswitch serve` uses when none is given, and where files go by default."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "apiswitch"

DEFAULT_CONFIG = """\
# apiswitch embedded default: loopback only, request log in the user's data directory, no providers yet.
[server]
host = "127.0.0.1"
port = 8082

[log]
enabled = true
bodies = false
retention_days = 14
"""

EXAMPLE_PROVIDER = """\
[providers.deepseek]
format = "chat"                       # anthropic | chat | responses
base_url = "https://api.deepseek.com/v1"
api_key_env = "DEEPSEEK_API_KEY"      # the key is read from this environment variable
models = ["deepseek-chat", "deepseek-reasoner"]

[routes]
"claude-*" = "deepseek:deepseek-chat"   # client model pattern = "provider:model" (or a list, in order)
"""


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def default_log_path() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "requests.db"


def discover_config_path(explicit: str | None) -> Path | None:
    """--config, then $APISWITCH_CONFIG, then the user config file if it exists; None means the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("APISWITCH_CONFIG")
    if env:
        return Path(env)
    candidate = user_config_path()
    return candidate if candidate.exists() else None


def no_provider_help(port: int) -> str:
    return f"""\
apiswitch is running on http://127.0.0.1:{port} with no providers configured.

Add one: write {user_config_path()} (or pass --config FILE) with, for example:

{EXAMPLE_PROVIDER}
Check it with `apiswitch config check FILE`, then restart `apiswitch serve`.
Point Claude Code at it:  ANTHROPIC_BASE_URL=http://127.0.0.1:{port} ANTHROPIC_AUTH_TOKEN=unused claude
"""
