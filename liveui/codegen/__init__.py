"""Codegen: a typed TypeScript SDK generated from an app's dispatch declarations.

    liveui gen ts --app myapp.main:app --out web/src/liveui

Where things live:
- `loader` — finding the `Dispatch` of an app ("module:attr");
- `schema` — the declarations as plain data (`SdkSchema`), the one input of every renderer;
- `notification_shape` — the TypeScript shape of the configured notification serializer, and
  `notification_fields`, the hook that describes a custom one;
- `counters_ts`, `types_ts`, `store_ts`, `react_ts` — one renderer per generated file;
- `sdk` — rendering every file, writing them, and `--check`.

Event and request names come from `liveui.user_events`, the wire contract. `notification_fields`
and `NotificationField` are exported from `liveui`.
"""
