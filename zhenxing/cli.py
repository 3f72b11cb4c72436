"""The `zhenxing` console command.

Every subcommand is a Django management command: the platform's own (`demo`, `serve`, `worker`,
`audit verify`, `import areas …`) live in the apps, and Django's (`migrate`, `createsuperuser`, …) pass
straight through. `generate_data_key` runs before settings load, since production settings refuse to
load without a key.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "zhenxing"
    if argv[1:2] == ["generate_data_key"]:
        from zhenxing.lib.personal import generate_key

        print(generate_key())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenxing.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
