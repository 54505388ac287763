"""The local proxy: `apiswitch serve`. A thin I/O shell around the sans-I/O translators."""

from apiswitch.runtime.proxy.app import build_app
from apiswitch.runtime.proxy.config import Config, ConfigError, load_config, parse_config

__all__ = ["Config", "ConfigError", "build_app", "load_config", "parse_config"]
