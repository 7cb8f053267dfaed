"""``python -m ivr`` is the same as the ``ivr`` command."""

from ivr.cli import main

main()
