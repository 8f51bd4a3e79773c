"""report/: what people read. The report dict (data.py, documented in docs/json.md) is built from
the typed appraisal, and every view renders it: terminal (rich), Markdown, HTML (+ forest plots),
JSON. One registry of formats (formats.py) is what every face picks from; the words a reader sees
(verdict labels, the disclaimer) live in words.py.
"""

from offlabel.report.formats import FORMATS, ReportFormat, get_format, render_answer, render_compare

__all__ = ["FORMATS", "ReportFormat", "get_format", "render_answer", "render_compare"]
