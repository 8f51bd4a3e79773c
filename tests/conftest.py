"""Test-wide settings."""

import os

from hypothesis import settings

# CI must be reproducible: the same examples on every run, so a red build is a real change.
# Locally the default random exploration keeps looking for new counter-examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
