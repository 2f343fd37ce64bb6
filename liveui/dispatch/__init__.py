"""Dispatch: counters and in-app notifications declared next to the data, broadcast after commit.

A pure producer: it depends on pub/sub (through the node) and on the `user:<id>` wire contract,
never on the channel server or the live UI. Where things live:
- `counter_declaration` — declaring a counter on a model; `registry` — finding them;
  `session_hooks` — noting what a transaction moved; `coalescer` — gathering commits;
  `counter_loader` — the grouped recount and loading values; `values` — versions.
- `notification_table` — the table and its serializer; `notification_loader` — loading and
  marking.
- `dispatch` — the facade; `broadcaster` — where events leave; `channel_state` — what a freshly
  joined `user:<id>` client gets.

Import the public names from `liveui`.
"""
