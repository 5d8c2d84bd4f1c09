"""The user error of the command line interface."""

PROG = "python -m sklosses"


class CLIError(Exception):
    """A user error: reported as one line on stderr with exit code 2.

    Every check that can fail on the user's input runs before the
    cross-validation starts, so that an error never costs the work.
    """
