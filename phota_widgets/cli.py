"""Command line: ``phota-widgets studio`` (the Studio as an app), ``serve`` (the embedded server),
``demo`` (a headless tour of every capability) and ``sweep FILE.yaml`` (a prompt experiment)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``phota-widgets`` command."""
    parser = argparse.ArgumentParser(prog="phota-widgets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    studio = commands.add_parser("studio", help="open the Studio as an app in the browser")
    studio.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    studio.add_argument("--lab", action="store_true", help="open it in JupyterLab instead")
    studio.add_argument(
        "--dir", default="phota-studio", help="folder for the notebook and its runs"
    )
    studio.add_argument("--no-browser", action="store_true", help="only print the URL")
    studio.add_argument(
        "--max-kernels", type=int, default=4, help="most Studio pages at once (0: no limit)"
    )
    studio.add_argument(
        "--cull-after",
        type=int,
        default=120,
        help="seconds until an idle closed page's kernel ends",
    )
    studio.add_argument(
        "--cull-connected", action="store_true", help="also end idle kernels of open pages"
    )
    serve = commands.add_parser("serve", help="run the embedded Phota-compatible server")
    serve.add_argument("--port", type=int, default=8765, help="port (0: any free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--data-dir", default=None, help="keep profiles here across restarts")
    demo = commands.add_parser("demo", help="generate, edit, enhance and remix a sample photo")
    demo.add_argument("--out", default="phota-demo", help="folder for the outputs and report")
    add_store_arguments(demo)
    sweep = commands.add_parser("sweep", help="run a prompt experiment file (YAML); resumable")
    sweep.add_argument("file", help="the experiment file (see examples/experiment.yaml)")
    sweep.add_argument("--dry-run", action="store_true", help="print the plan, send nothing")
    sweep.add_argument("--max-cost", type=float, default=None, help="budget in US dollars")
    sweep.add_argument("--out", default=None, help="folder for runs, report.html, outputs.csv")
    sweep.add_argument("--retry-failed", action="store_true", help="send failed cells again")
    sweep.add_argument(
        "--max-cells", type=int, default=None, help="refuse sweeps of more cells (200000)"
    )
    sweep.add_argument("--junit", default=None, help="write JUnit XML: a case per output and check")
    sweep.add_argument(
        "--min-pass-rate",
        type=float,
        default=None,
        help="exit 100 only when under this share (0-1) of outputs passing all checks",
    )
    add_store_arguments(sweep)
    from phota_widgets.experiments.compare.command import add_compare_parser

    add_compare_parser(commands)
    args = parser.parse_args(argv)
    try:
        use_store_arguments(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "studio":
        from phota_widgets.app.guard import StudioLimits
        from phota_widgets.app.launcher import run_studio

        try:
            limits = StudioLimits(args.max_kernels, args.cull_after, args.cull_connected)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return run_studio(
            args.dir, port=args.port, lab=args.lab, browser=not args.no_browser, limits=limits
        )
    if args.command == "serve":
        return _serve(args.host, args.port, args.data_dir)
    if args.command == "sweep":
        from phota_widgets.experiments.sweeps.command import sweep_command

        return sweep_command(
            args.file,
            dry_run=args.dry_run,
            max_cost=args.max_cost,
            out=args.out,
            retry_failed=args.retry_failed,
            max_cells=args.max_cells,
            junit=args.junit,
            min_pass_rate=args.min_pass_rate,
        )
    if args.command == "compare":
        from phota_widgets.experiments.compare.command import compare_command

        return compare_command(
            args.a, args.b, fail_if_worse=args.fail_if_worse, runs=args.runs, html=args.html
        )
    from phota_widgets.demo import run_demo

    return run_demo(args.out)


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """The run store's three settings as flags (else the PHOTA_STORE_* environment)."""
    group = parser.add_argument_group("shared run store (default: a local folder)")
    group.add_argument(
        "--index", default=None, help="index URL, e.g. postgresql+psycopg://user@host/db"
    )
    group.add_argument("--files", default=None, help="files URL, e.g. s3://bucket/prefix")
    group.add_argument(
        "--storage-options",
        default=None,
        help="fsspec options for --files: @FILE (a JSON file; keeps secrets off the command "
        "line), or a JSON object; else PHOTA_STORE_OPTIONS (JSON or @FILE)",
    )


def use_store_arguments(args: argparse.Namespace) -> None:
    """Make the store flags this process's settings (every Session made here reads them)."""
    from phota_widgets.store.config import FILES_ENV, INDEX_ENV, OPTIONS_ENV, parse_options

    for flag, env in (("index", INDEX_ENV), ("files", FILES_ENV)):
        value = getattr(args, flag, None)
        if value:
            os.environ[env] = value
    options = getattr(args, "storage_options", None)
    if options:
        parse_options(options, "--storage-options")  # refuse bad JSON before any work
        os.environ[OPTIONS_ENV] = options


def _serve(host: str, port: int, data_dir: str | None) -> int:
    """Serve until Ctrl-C; the key comes from PHOTA_API_KEY, or a random one is printed once.

    The key is never an argument: a command line is visible to every user of the machine.
    """
    from phota_widgets.api.transport import API_KEY_ENV, resolve_api_key
    from phota_widgets.local.server import LocalServer

    given = resolve_api_key(None)
    server = LocalServer(host=host, port=port, api_key=given, data_dir=data_dir).start()
    print(f"Phota-compatible local server (a stand-in, offline) at {server.base_url}")
    print(f"  export PHOTA_BASE_URL={server.base_url}")
    if given:
        print(f"  it accepts the key in ${API_KEY_ENV}")
    else:
        print(f"  export {API_KEY_ENV}={server.api_key}")
    print("Ctrl-C stops it.")
    try:
        while server.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
