"""Command line: ``python -m mosaics_match <command>``; ``--help`` lists the commands."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from mosaics_match.cli import admin as cli_admin


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: what is wrong, and where the help is.

    Sub-command parsers are built with the class of their parent, so every command answers the same way.
    """

    def error(self, message: str) -> NoReturn:
        """Print ``error: <message> (see `<prog> --help`)`` on standard error and exit with status 2."""
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="python -m mosaics_match", description="Seneca Mosaics portal tools.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    cli_admin.add_commands(sub)
    try:
        from mosaics_match.credentials import cli as credentials_cli
    except ImportError:  # pragma: no cover - during development only
        credentials_cli = None
    if credentials_cli is not None:
        credentials_cli.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from mosaics_match.settings import SettingsError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
