"""Transports move frames between a client and a `Connection`; they know bytes and close codes,
not channels."""
