"""Entry point of ``python -m sklosses`` (see :mod:`sklosses.cli`)."""

from .cli import main

raise SystemExit(main())
