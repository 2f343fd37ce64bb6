"""What refusing a row template without `id="{{ row_id }}"` costs: the check beside the row
render it follows (a row is rendered, and checked, once per row state, not per session).

    python -m bench.row_root [--rounds 20000]

Renders the demo's order row (`demo/templates/rows/my_order.html`, a `<tr>` with five cells
and a button) uncached, as a fresh row state is, and times `check_row_root` on its HTML.

Prints, last line: `render_us=<a> check_us=<b> check_share=<b/(a+b)>` (best of 5 runs each).
"""

from __future__ import annotations

import argparse
import datetime
import timeit
from pathlib import Path

import jinja2

from liveui.live.app_actions import action_attrs
from liveui.live.row_root import check_row_root

ROW = Path(__file__).resolve().parent.parent / "demo" / "templates" / "rows" / "my_order.html"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20_000)
    args = parser.parse_args(argv)

    env = jinja2.Environment(autoescape=True)
    env.globals["app_url"] = lambda path: path
    env.globals["live_action"] = lambda name, **f: action_attrs("/liveui/event", name, **f)
    template = env.from_string(ROW.read_text())
    row = {"id": 41, "item": "Blue mug", "amount_cents": 1250, "status": "pending",
           "inserted_at": datetime.datetime(2026, 1, 2, 3, 4, 5)}

    def render() -> str:
        return template.render(row=row, row_id="live-my_orders-41", key=41)

    html = render()

    def check() -> None:
        check_row_root(html, "live-my_orders-41", "rows/my_order.html", "MyOrders")

    check()
    best = {"render": float("inf"), "check": float("inf")}
    for _ in range(5):
        for name, run in (("render", render), ("check", check)):
            seconds = timeit.timeit(run, number=args.rounds)
            best[name] = min(best[name], seconds / args.rounds * 1e6)
    print(f"row template {ROW.name}: {len(html)} bytes of HTML")
    print(f"render_us={best['render']:.2f} check_us={best['check']:.2f} "
          f"check_share={best['check'] / (best['render'] + best['check']):.3f}")


if __name__ == "__main__":
    main()
