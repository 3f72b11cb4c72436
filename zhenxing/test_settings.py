"""Settings for the test suite: `ZX_ENV=test` (fixed throw-away keys, fast hasher)."""

import atexit
import os
import shutil
import tempfile

os.environ["ZX_ENV"] = "test"

from zhenxing.settings import *  # noqa: E402,F403

# Each test process keeps screening's cached upload parts in a folder of its own, removed when it ends.
SCREENING_CACHE_DIR = tempfile.mkdtemp(prefix="zhenxing-test-screening-cache-")
atexit.register(shutil.rmtree, SCREENING_CACHE_DIR, ignore_errors=True)
