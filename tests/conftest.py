"""Test-wide settings."""

import os

from hypothesis import settings

# CI must be reproducible: the same examples on every run, so a red build is a real change.
# Locally the default random exploration keeps looking for new counter-examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Tests compute every answer afresh: a test that patches a rule must never be answered from the
# on-disk cache of an earlier run (offlabel.cache). tests/test_cache.py turns it back on.
os.environ["OFFLABEL_NO_CACHE"] = "1"
