"""upwork-mcp: Upwork for AI assistants, over MCP, with an offline sandbox.

The engine (`upwork_mcp.api.UpworkClient`) is a plain async client; the MCP server is in
`upwork_mcp.server`. Imports are lazy so the CLI starts fast.
"""

__version__ = "0.1.0"
