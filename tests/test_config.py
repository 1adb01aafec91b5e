from __future__ import annotations

import pytest

from upwork_mcp.config import Settings
from upwork_mcp.errors import ConfigError


def test_defaults_point_at_upwork() -> None:
    s = Settings.from_env({})
    assert s.api_url == "https://api.upwork.com/graphql"
    assert s.token_url == "https://www.upwork.com/api/v3/oauth2/token"
    assert s.authorize_url == "https://www.upwork.com/ab/account-security/oauth2/authorize"
    assert s.revoke_url == "https://www.upwork.com/api/v3/oauth2/token/revoke"
    assert s.rate_limit == 10.0 and s.toolsets is None and not s.read_only  # None: every toolset


def test_every_documented_variable_is_read() -> None:
    env = {
        "UPWORK_CLIENT_ID": "cid",
        "UPWORK_CLIENT_SECRET": "shh",
        "UPWORK_REDIRECT_URI": "http://localhost:9000/cb",
        "UPWORK_TENANT_ID": "42",
        "UPWORK_ACCESS_TOKEN": "tok",
        "UPWORK_TOKEN_FILE": "/tmp/t.json",
        "UPWORK_API_URL": "http://x.test/graphql",
        "UPWORK_OAUTH_URL": "http://x.test/",
        "UPWORK_JOB_FEED_URL": "http://feed.test",
        "UPWORK_JOB_FEED_API_KEY": "fk",
        "UPWORK_READ_ONLY": "yes",
        "UPWORK_TOOLSETS": "jobs, feed",
        "UPWORK_TIMEOUT": "12.5",
        "UPWORK_MAX_RETRIES": "1",
        "UPWORK_RATE_LIMIT": "4",
        "UPWORK_LOG_LEVEL": "debug",
        "UPWORK_DATA_DIR": "/tmp/d",
    }
    s = Settings.from_env(env)
    assert (s.client_id, s.tenant_id, s.read_only, s.toolsets, s.timeout, s.max_retries, s.rate_limit) == (
        "cid",
        "42",
        True,
        ("jobs", "feed"),
        12.5,
        1,
        4.0,
    )
    assert s.token_url == "http://x.test/api/v3/oauth2/token"
    assert s.client_secret.get_secret_value() == "shh" and s.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("var", "value", "needle"),
    [
        ("UPWORK_TIMEOUT", "soon", "UPWORK_TIMEOUT"),
        ("UPWORK_TIMEOUT", "-1", "UPWORK_TIMEOUT"),
        ("UPWORK_MAX_RETRIES", "2.5", "whole number"),
        ("UPWORK_READ_ONLY", "maybe", "true/false"),
        ("UPWORK_TOOLSETS", "jobs,payroll", "payroll"),
        ("UPWORK_API_URL", "api.upwork.com", "UPWORK_API_URL"),
        ("UPWORK_RATE_LIMIT", "0", "UPWORK_RATE_LIMIT"),
        ("UPWORK_LOG_LEVEL", "loud", "DEBUG"),
        ("UPWORK_SANDBOX_FAULTS", "explode=1", "unknown fault"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_takes(var: str, value: str, needle: str) -> None:
    from upwork_mcp.server import build_server

    with pytest.raises(ConfigError) as info:  # some values are checked where they are used: by the root
        build_server(Settings.from_env({var: value}))
    assert needle in str(info.value) and var in str(info.value)
    assert "\n" not in str(info.value)


def test_a_bad_secret_is_never_echoed() -> None:
    # A secret can't be "bad", but the message for any secret variable must hide its value.
    from upwork_mcp.config import _shown

    assert _shown("UPWORK_CLIENT_SECRET", "hunter2") == "<hidden>"
    assert "hunter2" not in repr(Settings.from_env({"UPWORK_CLIENT_SECRET": "hunter2"}))


def test_sandbox_mode_points_everything_at_the_embedded_sandbox() -> None:
    from upwork_mcp.sandbox.credentials import FEED_KEY
    from upwork_mcp.world import world_for

    s = world_for(Settings.from_env({"UPWORK_SANDBOX": "1", "UPWORK_ACCESS_TOKEN": "real-token"})).settings
    assert s.sandbox and s.client_id == "sandbox-client"
    assert s.access_token is None  # a real token is never sent to the sandbox
    assert s.job_feed_api_key.get_secret_value() == FEED_KEY
    assert s.api_url.endswith("/graphql") and s.oauth_url == s.job_feed_url


def test_the_leak_guard_catches_a_sandbox_secret() -> None:
    from tests.conftest import assert_no_secret

    with pytest.raises(AssertionError, match="sbx_rt_"):
        assert_no_secret("refresh with sbx_rt_abc", "a test")
    assert_no_secret("a clean line", "a test")
