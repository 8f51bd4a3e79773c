"""offlabel: appraise the published evidence for off-label drug uses."""

__version__ = "0.1.0"
