"""Live components: server-held state per tab, pushed to the page as htmx DOM patches.

`app` (`LiveUI`) wires it into a Starlette app; `component` is the base of the `badge`, the
`dropdown` and your own components; `session` holds one tab's components and their patch stream;
`registry` the node's sessions; `render` and `tags` the Jinja2 side; `sse` and `websocket` carry
the same patches; `actions` runs user events. It depends on pub/sub and the `user:<id>` wire
contract, never on the channel server. Import the public names from `liveui`.
"""
