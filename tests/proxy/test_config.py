"""Configuration: every error names the file, the line and the field."""

from __future__ import annotations

import pytest
from apiswitch.runtime.proxy.config import ConfigError, Target, load_config, parse_config

GOOD = """\
[server]
port = 9000

[providers.deepseek]
format = "chat"
base_url = "https://api.deepseek.com/v1/"
api_key_env = "DEEPSEEK_API_KEY"
models = ["deepseek-chat", "deepseek-reasoner"]
max_output_tokens = 8192
headers = { "X-Title" = "apiswitch" }

[providers.deepseek.quirks]
reasoning_content_echo = true

[providers.deepseek.timeouts]
first_byte = 30

[providers.claude]
format = "anthropic"
base_url = "https://api.anthropic.com"
api_key_env = "ANTHROPIC_API_KEY"

[routes]
"claude-opus-*" = "deepseek:deepseek-reasoner"
"gpt-5*" = ["claude:claude-sonnet-4-5", "deepseek"]

[rules]
long_context_threshold = 50000
background = "deepseek:deepseek-chat"
default = "deepseek:deepseek-chat"
"""


def issues(text: str, env=None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "cfg.toml", env or {})
    return [str(issue) for issue in caught.value.issues]


def test_a_complete_config():
    config = parse_config(GOOD, "cfg.toml", {"DEEPSEEK_API_KEY": "k1", "ANTHROPIC_API_KEY": "k2"})
    deepseek = config.providers["deepseek"]
    assert deepseek.base_url == "https://api.deepseek.com/v1"
    assert deepseek.api_key == "k1" and deepseek.max_output_tokens == 8192
    assert deepseek.quirks.reasoning_content_echo and not deepseek.quirks.string_content
    assert deepseek.timeouts.first_byte == 30 and deepseek.timeouts.connect == 10
    assert deepseek.headers == {"X-Title": "apiswitch"}
    assert config.routes[1].targets == (Target("claude", "claude-sonnet-4-5"), Target("deepseek", None))
    assert config.rules.by_class == {"background": (Target("deepseek", "deepseek-chat"),)}
    assert config.rules.long_context_threshold == 50000
    assert config.server.port == 9000 and config.server.host == "127.0.0.1"
    assert config.warnings == ()
    assert sorted(config.secrets()) == ["k1", "k2"]


def test_errors_point_at_file_line_and_field():
    text = GOOD.replace('format = "chat"', 'format = "gemini"').replace("port = 9000", 'port = "9000"')
    text = text.replace('"gpt-5*" = ["claude:claude-sonnet-4-5", "deepseek"]', '"gpt-5*" = ["claude", "nope:x"]')
    found = issues(text)
    assert "cfg.toml:2: server.port: must be an integer, got a string" in found
    assert "cfg.toml:5: providers.deepseek.format: must be one of anthropic, chat, responses, got 'gemini'" in found
    assert any(i.startswith("cfg.toml:25: routes.gpt-5*[1]: unknown provider 'nope'") for i in found)


def test_unknown_fields_and_sections():
    found = issues(GOOD.replace("max_output_tokens = 8192", "max_output_tokenz = 8192") + "\n[extra]\nx = 1\n")
    assert any(i.startswith("cfg.toml:9: providers.deepseek.max_output_tokenz: unknown field") for i in found)
    assert any(i.startswith("cfg.toml:32: extra: unknown section") for i in found)


def test_nested_table_fields_have_lines():
    found = issues(GOOD.replace("first_byte = 30", "first_byte = -1"))
    assert "cfg.toml:16: providers.deepseek.timeouts.first_byte: must be greater than 0" in found


def test_missing_required_fields():
    found = issues('[providers.x]\nbase_url = "http://h"\n\n[providers.y]\nformat = "chat"\n')
    assert any(i.startswith("cfg.toml:1: providers.x: format is required") for i in found)
    assert "cfg.toml:4: providers.y: base_url is required" in found


def test_toml_syntax_error_has_a_line():
    found = issues('[server]\nport = 1\nhost = "unterminated\n')
    assert found[0].startswith("cfg.toml:3: -: invalid TOML")


def test_binding_elsewhere_needs_an_access_token():
    found = issues('[server]\nhost = "0.0.0.0"\n')
    assert found[0].startswith("cfg.toml:2: server.host: binding '0.0.0.0' (not loopback) requires an access token")
    config = parse_config('[server]\nhost = "0.0.0.0"\naccess_token_env = "T"\n', "cfg.toml", {"T": "tok"})
    assert config.server.access_token == "tok" and not config.server.is_loopback


def test_literal_key_is_allowed_with_a_warning():
    config = parse_config('[providers.p]\nformat = "chat"\nbase_url = "http://h/v1"\napi_key = "sk-literal"\n',
                          "cfg.toml", {})
    assert config.providers["p"].api_key == "sk-literal"
    assert [str(w) for w in config.warnings][0].startswith("cfg.toml:4: providers.p.api_key: a literal secret")


def test_unset_key_variable_is_a_warning():
    config = parse_config('[providers.p]\nformat = "chat"\nbase_url = "http://h/v1"\napi_key_env = "NOPE"\n',
                          "cfg.toml", {})
    assert "environment variable NOPE is not set" in str(config.warnings[0])


def test_boolean_is_not_a_number():
    assert "cfg.toml:2: server.port: must be an integer, got true or false" in issues("[server]\nport = true\n")


def test_load_config_reports_a_missing_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.toml")
    assert "absent.toml: -: cannot read" in str(caught.value)


def test_array_of_tables_lines():
    found = issues("[routes]\n\n[[rules]]\nx = 1\n")
    assert found[0].startswith("cfg.toml:3: rules: must be a table")


def test_validation_mode():
    assert parse_config('[server]\nvalidation = "full"\n', "cfg.toml", {}).server.validation == "full"
    assert issues('[server]\nvalidation = "strict"\n') == [
        "cfg.toml:2: server.validation: must be \"basic\" or \"full\", got 'strict'"]
