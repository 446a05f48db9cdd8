"""``python -m cckg.cli``: the ``cckg`` command."""

from cckg.cli import main

if __name__ == "__main__":  # not when a spawned server worker imports this module
    main()
