"""What the `upwork-mcp` subcommands do, one module per command group; `cli.py` parses and dispatches."""
