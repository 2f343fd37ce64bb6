"""Codegen: a typed TypeScript SDK generated from an app's dispatch declarations.

    liveui gen ts --app myapp.main:app --out web/src/liveui

Where things live:
- `loader` — finding the `Dispatch` of an app ("module:attr");
- `schema` — the declarations as plain data (`SdkSchema`), the one input of every renderer;
- `notification_shape` — the TypeScript shape of the configured notification serializer, and
  `notification_fields`, the hook that describes a custom one;
- `counters_ts`, `types_ts`, `store_ts`, `react_ts` — one renderer per generated file;
- `sdk` — rendering every file, writing them, and `--check`.
"""

from .loader import load_dispatch
from .notification_shape import (
    DEFAULT_NOTIFICATION_FIELDS,
    NotificationField,
    notification_fields,
    shape_of,
)
from .schema import CounterSchema, SdkSchema, schema_from_dispatch
from .sdk import SDK_FILES, check_sdk, render_sdk, write_sdk

__all__ = [
    "DEFAULT_NOTIFICATION_FIELDS",
    "SDK_FILES",
    "CounterSchema",
    "NotificationField",
    "SdkSchema",
    "check_sdk",
    "load_dispatch",
    "notification_fields",
    "render_sdk",
    "schema_from_dispatch",
    "shape_of",
    "write_sdk",
]
