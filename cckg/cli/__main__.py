"""``python -m cckg.cli``: the ``cckg`` command."""

from cckg.cli import main

main()
