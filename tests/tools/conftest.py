"""The MCP-client fixtures (`connect`, `mode`) and helpers live in tests/mcp_client.py, a plugin of
tests/conftest.py, so tests in every folder can use them."""
