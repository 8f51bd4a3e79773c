"""The README's table of baclofen's verdicts is "computed, not typed in": this test holds it to
what `offlabel ask baclofen --format json` says, row by row, and prints the table it expects when
they differ (paste it into the README)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from offlabel.cli import app
from offlabel.report.names import label_of

README = Path(__file__).resolve().parents[1] / "README.md"
HEAD = "| Condition | Verdict | Evidence verdict | Certainty (whose rating) | Latest review cited |"


def _words(value: str | None) -> str:
    return (value or "—").replace("_", " ")


def expected_rows() -> list[str]:
    res = CliRunner().invoke(app, ["ask", "baclofen", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = []
    for c in json.loads(res.stdout)["conditions"]:
        review = c["latest_review"]
        # named as every view names it ("CNS Drugs 2020", never the evidence file's id)
        study = next((s for s in c["studies"] if review and s.get("id") == review["id"]), review)
        rows.append(f"| {c['condition']} | {_words(c['verdict'])} | "
                    f"{_words(c['evidence_verdict'])} | "
                    f"{_words(c['certainty'])} ({c['certainty_system']}) | "
                    f"{label_of(study) if study else '—'} |")
    return rows


def test_the_readme_table_is_what_offlabel_computes() -> None:
    text = README.read_text(encoding="utf-8")
    assert HEAD in text, f"README lacks the table header {HEAD!r}"
    after = text.split(HEAD, 1)[1].splitlines()[2:]  # skip the |---| line
    shown = [line for line in after[: len(after)] if line.startswith("|")]
    shown = shown[: next((i for i, s in enumerate(shown) if not re.match(r"\| \S", s)),
                         len(shown))]
    want = expected_rows()
    assert shown[: len(want)] == want, "README table differs; expected:\n" + "\n".join(
        [HEAD, "|---|---|---|---|---|", *want])
