"""The `liveui` command. Subcommands live in small `_add_*` functions so more can join:

liveui gen ts --app myapp.main:app --out web/src/liveui [--check]
liveui counters --app myapp.main:app        # what is declared: "why does my badge not update?"
liveui stats --url http://127.0.0.1:8000/metrics   # a running node's figures, as a table
liveui new NAME [--dir DIR]                 # a small runnable app to start from
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigurationError

__all__ = ["main"]

T = TypeVar("T")


def _loaded(command: str, args: argparse.Namespace, use: Callable[[Any], T]) -> T | None:
    """Load the app's Dispatch and apply `use`; on failure say why on stderr and return None."""
    from .codegen.loader import load_dispatch

    try:
        return use(load_dispatch(app=args.app, dispatch=args.dispatch))
    except ConfigurationError as exc:
        print(f"liveui {command}: {exc}", file=sys.stderr)
    except Exception:  # the app's own code failed while loading: show where, then say so
        traceback.print_exc()
        print(
            f"liveui {command}: loading {args.app or args.dispatch} failed (traceback above)",
            file=sys.stderr,
        )
    return None


def _gen_ts(args: argparse.Namespace) -> int:
    from .codegen.schema import schema_from_dispatch
    from .codegen.sdk import check_sdk, render_sdk, write_sdk

    schema = _loaded("gen ts", args, schema_from_dispatch)
    if schema is None:
        return 2
    source = f"--app {args.app}" if args.dispatch is None else f"--dispatch {args.dispatch}"
    rendered = render_sdk(schema, f"liveui gen ts {source} --out {args.out}")
    out = Path(args.out)
    if args.check:
        stale = check_sdk(out, rendered)
        if stale:
            print(
                f"liveui gen ts: out of date in {out}: {', '.join(stale)} "
                f"(run `liveui gen ts {source} --out {args.out}`)",
                file=sys.stderr,
            )
            return 1
        print(f"liveui gen ts: {out} is up to date")
        return 0
    try:
        changed = write_sdk(out, rendered)
    except OSError as exc:
        print(f"liveui gen ts: cannot write {out}: {exc}", file=sys.stderr)
        return 2
    print(
        f"liveui gen ts: wrote {', '.join(changed)}"
        if changed
        else f"liveui gen ts: {out} is up to date"
    )
    return 0


def _counters(args: argparse.Namespace) -> int:
    from .dispatch.describe import describe_counters

    infos = _loaded("counters", args, describe_counters)
    if infos is None:
        return 2
    if args.alembic:
        print(_alembic_indexes(infos))
        return 0
    for info in infos:
        owner = f"owner {info.owner}" if info.owner else f"global, audience {info.audience}"
        print(f"{info.name}  ({info.model}, {owner})")
        verb = "counts  " if info.kind == "count" else "computes"
        print(f"  {verb} SELECT {info.measure} FROM {info.table} WHERE {info.where}")
        print(
            f"  on       {', '.join(info.triggers)}"
            + ("" if info.watched is None else f" (updates of {', '.join(info.watched)})")
        )
        if info.invalidates:
            print(f"  refetch  {', '.join(info.invalidates)}")
        print(f"  index    {info.index}")
    return 0


def _alembic_indexes(infos: list[Any]) -> str:
    """The wanted indexes as the body of an Alembic migration (one per table and columns)."""
    seen: dict[str, Any] = {}
    for info in infos:
        if info.index_columns and info.indexed_by is None:
            seen.setdefault(info.index_name, info)
    if not seen:
        return "# no counter needs an index"
    up = [f"    op.create_index({n!r}, {i.table!r}, {list(i.index_columns)!r})"
          for n, i in seen.items()]
    down = [f"    op.drop_index({n!r}, table_name={i.table!r})" for n, i in seen.items()]
    return "\n".join([
        "# Indexes that keep the counters' grouped recounts cheap (liveui counters --alembic).",
        "def upgrade() -> None:", *up, "", "", "def downgrade() -> None:", *down,
    ])


def _add_counters(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    counters = commands.add_parser(
        "counters", help="list the declared counters: filter as SQL, triggers, wanted index"
    )
    source = counters.add_mutually_exclusive_group(required=True)
    source.add_argument("--app", help="the app as module:attr; its app.state.dispatch is used")
    source.add_argument("--dispatch", help="a Dispatch as module:attr")
    counters.add_argument(
        "--alembic", action="store_true",
        help="print the wanted indexes as an Alembic migration's upgrade()/downgrade()",
    )
    counters.set_defaults(run=_counters)


def _stats(args: argparse.Namespace) -> int:
    from .metrics.report import fetch_metrics, format_report

    try:
        text = fetch_metrics(args.url, token=args.token, timeout=args.timeout)
    except (OSError, ValueError) as exc:
        print(f"liveui stats: cannot read {args.url}: {exc}", file=sys.stderr)
        return 2
    try:
        print(format_report(text, args.url))
    except ValueError as exc:
        print(f"liveui stats: {args.url} did not answer Prometheus text: {exc}", file=sys.stderr)
        return 2
    return 0


def _add_stats(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser(
        "stats", help="print a running node's figures from its /metrics endpoint"
    )
    stats.add_argument("--url", required=True, help="the node's metrics URL")
    stats.add_argument("--token", help="sent as 'Authorization: Bearer <token>'")
    stats.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    stats.set_defaults(run=_stats)


def _add_gen(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gen = commands.add_parser("gen", help="generate client code from the app's declarations")
    targets = gen.add_subparsers(dest="target", required=True, metavar="TARGET")
    ts = targets.add_parser(
        "ts", help="a typed TypeScript SDK: counters.ts, types.ts, store.ts, react.ts"
    )
    source = ts.add_mutually_exclusive_group(required=True)
    source.add_argument("--app", help="the app as module:attr; its app.state.dispatch is used")
    source.add_argument("--dispatch", help="a Dispatch as module:attr")
    ts.add_argument("--out", required=True, help="the directory to write (created if missing)")
    ts.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming the files that are out of date",
    )
    ts.set_defaults(run=_gen_ts)


def _new(args: argparse.Namespace) -> int:
    from .scaffold import write_app

    directory = Path(args.dir) if args.dir else Path.cwd() / args.name
    try:
        write_app(args.name, directory)
    except ConfigurationError as exc:
        print(f"liveui new: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"liveui new: cannot write {directory}: {exc}", file=sys.stderr)
        return 2
    print(f"liveui new: wrote {directory}")
    print(f"  cd {directory}")
    print("  uvicorn app:app --reload      # then open http://127.0.0.1:8000/login/1")
    print("  python -m pytest              # its tests")
    return 0


def _add_new(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    new = commands.add_parser(
        "new", help="write a small runnable app: models, a live table, badge, bell, tests"
    )
    new.add_argument("name", help="the app's name (a folder of that name is created)")
    new.add_argument("--dir", help="write into this folder instead of ./NAME")
    new.set_defaults(run=_new)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="liveui", description="liveui command-line tools")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_gen(commands)
    _add_counters(commands)
    _add_stats(commands)
    _add_new(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
