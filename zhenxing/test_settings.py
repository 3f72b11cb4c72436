"""Settings for the test suite: `ZX_ENV=test` (fixed throw-away keys, fast hasher)."""

import os

os.environ["ZX_ENV"] = "test"

from zhenxing.settings import *  # noqa: E402,F403
