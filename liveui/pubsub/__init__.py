"""Pub/sub: deliver broadcasts locally and, through a backend, to the other nodes.

`hub` is the one place a broadcast goes through; `outbox` bounds what waits for the backend,
`backoff` paces retries; `backends/` holds the backend contract (`base`), `memory`, `redis`,
`postgres` and the URL factory. Drivers load only when their backend is used. Import the public
names from `liveui`.
"""
