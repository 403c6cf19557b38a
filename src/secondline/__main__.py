"""``python -m secondline`` runs the command line."""

from secondline._cli import run

run()
