"""``python -m ivr`` is the same as the ``ivr`` command."""

import sys


def _main() -> None:
    if sys.argv[1:2] == ["agi"]:
        # Process AGI starts a Python process per call: skip click, YAML and SQLAlchemy.
        from ivr.transport.process_agi import main_from_cli

        if main_from_cli(sys.argv[2:]):
            return
    from ivr.cli import main

    main()


_main()
