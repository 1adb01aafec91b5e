"""The MCP tools: one module per toolset, thin adapters over the engine (`upwork_mcp.api`).

Shipped inside the wheel as `upwork_mcp.tools`; loaded through `upwork_mcp._bundled`.
"""
