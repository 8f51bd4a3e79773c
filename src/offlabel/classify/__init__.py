"""offlabel.classify: study-design classification of bibliographic records.

`classify(record, text_only=False)` returns an `offlabel.model.Classification` with the
evidence (publication type, MeSH term or phrase) behind every field; see `design.py`.
"""

from .design import classify

__all__ = ["classify"]
