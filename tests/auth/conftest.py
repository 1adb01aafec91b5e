"""The auth tests' fixtures live in tests/conftest.py (`loopback` is shared with other tests)."""

from tests.conftest import LoopbackSandbox

__all__ = ["LoopbackSandbox"]
