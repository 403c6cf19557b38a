"""``python -m secondline`` runs the command line."""

from secondline._cli import run

# guarded: worker processes a Dask cluster spawns import this module again
if __name__ == "__main__":
    run()
