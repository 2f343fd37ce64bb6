"""liveui's reliance on the insides of its server stack, in one private room.

For memory and speed liveui extends uvicorn from the inside: its HTTP and WebSocket protocol
classes (`http_protocol`, `websocket_protocol`, with `light_async` for their queue and events),
the `websockets` parser's request-line limit, asyncio's private future protocol
(`asyncio_steps`, for SSE streams that watch their client without a task) and uvicorn's exit
flag (`uvicorn_exit`). `reliances` lists every attribute this depends on and checks them once,
when first used: where one is missing — a renamed attribute in a new release — liveui serves on
the stock path instead, with one WARNING naming the version, rather than failing or silently
losing an override.

Nothing here is imported by `import liveui`: the protocol classes load when `uvicorn_options()`
or `liveui.UvicornHttpProtocol` / `liveui.UvicornWebSocketProtocol` are first used.
"""
