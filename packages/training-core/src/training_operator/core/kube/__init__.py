"""The Kubernetes adapter: the only core package that talks to an API server (through aiohttp, raw JSON)."""
