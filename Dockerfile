# upwork-mcp for a team: streamable HTTP on port 8000, each user logging in to their own Upwork,
# state on PostgreSQL. See README "Deploy for a team" for what to set.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE hatch_build.py ./
COPY upwork_mcp ./upwork_mcp
COPY tools ./tools
COPY prompts ./prompts
RUN pip install ".[postgres]" && rm -rf /src

RUN useradd --system --create-home --home-dir /home/upwork --uid 10001 upwork
USER upwork
WORKDIR /home/upwork

# Listen on every interface inside the container; the Host names clients use go in UPWORK_MCP_ALLOWED_HOSTS.
ENV UPWORK_MCP_AUTH=oauth
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import socket; socket.create_connection(('127.0.0.1', 8000), 3)"
CMD ["upwork-mcp", "serve", "--transport", "streamable-http", "--host", "0.0.0.0", "--port", "8000"]
