"""`thuocdo`: the one command for operators and analysts.

It is Django's management command runner with the project's settings preset, so every
subcommand (`thuocdo demo`, `thuocdo audit verify`, `thuocdo import-units`, ...) has `--help`.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["thuocdo", *argv])
    args[0] = "thuocdo"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
