"""Render-cache cost per patch: a badge re-rendered from the shared cache (a hit, what most
sessions cost once one of them rendered the new value).

    python -m bench.render_key [--rounds 200000]

Three ways to the cached HTML of the same badge, in one process, alternated:
- `json`: the former key, `json.dumps(context, sort_keys=True, default=str)` of the whole
  context (built every time), the baseline;
- `context`: `Renderer.render(template, **context)`, the typed `cache_key` of the whole context
  (what custom components with their own `context()` and the dropdown's items get);
- `component`: `LiveBadge.render(renderer)`: a key from class + params + value, the context built
  only on a miss.

Prints, last line: `json_us=<a> context_us=<b> component_us=<c> speedup_context=<a/b>
speedup_component=<a/c>` (best of 5 runs each).
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections import OrderedDict
from typing import Any

from liveui import LiveBadge
from liveui.live.render import Renderer, live_environment


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200_000)
    args = parser.parse_args(argv)

    renderer = Renderer(live_environment(None))
    badge = LiveBadge("pending_orders", label="pending orders")
    badge.state = {"value": 3, "version": 1}
    template = badge.template
    html = badge.render(renderer)
    former: OrderedDict[str, str] = OrderedDict()

    def json_key() -> str:  # the former Renderer.render, on a hit
        context: dict[str, Any] = badge.context()
        key = template + "\0" + json.dumps(context, sort_keys=True, default=str)
        found = former.get(key)
        if found is None:
            found = former[key] = html
        former.move_to_end(key)
        return found

    def context_key() -> str:
        return renderer.render(template, **badge.context())

    def component_key() -> str:
        return badge.render(renderer)

    assert json_key() == context_key() == component_key() == html
    best = {name: float("inf") for name in ("json", "context", "component")}
    for _ in range(5):
        for name, run in (("json", json_key), ("context", context_key),
                          ("component", component_key)):
            seconds = timeit.timeit(run, number=args.rounds)
            best[name] = min(best[name], seconds / args.rounds * 1e6)
    print(f"rounds={args.rounds} hits_per_renderer={renderer.hits}")
    print(f"json_us={best['json']:.2f} context_us={best['context']:.2f} "
          f"component_us={best['component']:.2f} "
          f"speedup_context={best['json'] / best['context']:.1f} "
          f"speedup_component={best['json'] / best['component']:.1f}")


if __name__ == "__main__":
    main()
