"""End to end: `offlabel ask` on bundled and user evidence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/example-evidence.yaml"
OFFLABEL = [sys.executable, "-m", "offlabel"]
DESIGNS = {"animal", "in_vitro", "human_laboratory", "case_report", "case_series",
           "cross_sectional", "case_control", "cohort", "open_label_trial",
           "nonrandomized_controlled_trial", "rct", "systematic_review", "meta_analysis",
           "narrative_review", "guideline", "regulatory", "other"}
DIRECTIONS = {"favours_drug", "no_difference", "favours_control", "mixed", "unclear"}
VERDICTS = {"approved", "supported", "promising", "conflicting", "not_supported", "insufficient"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*OFFLABEL, *args], capture_output=True, text=True, timeout=120)


def ask_json(*args: str) -> dict:
    r = run("ask", *args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def check_shape(d: dict) -> None:
    assert {"drug", "conditions", "question", "disclaimer"} <= d.keys()
    assert "not medical advice" in d["disclaimer"]
    for c in d["conditions"]:
        assert {"condition", "verdict", "certainty", "reasons", "outcomes", "studies"} <= c.keys()
        assert c["verdict"] in VERDICTS
        for o in c["outcomes"]:
            assert {"outcome", "verdict", "certainty", "pooled"} <= o.keys()
        for s in c["studies"]:
            assert {"id", "first_author", "year", "pmid", "doi", "design", "randomised",
                    "blinding", "comparator", "n", "direction", "sources"} <= s.keys()
            assert s["design"] in DESIGNS and s["direction"] in DIRECTIONS
            assert s["sources"], s["id"]


@pytest.mark.parametrize("condition", [
    "alcohol use disorder", "cocaine use disorder", "methamphetamine use disorder",
    "opioid use disorder", "spasticity",
])
def test_bundled_baclofen_answers(condition):
    d = ask_json("baclofen", condition)
    check_shape(d)
    [c] = d["conditions"]
    assert c["studies"], condition


def test_spasticity_is_an_approved_use():
    [c] = ask_json("baclofen", "spasticity")["conditions"]
    assert c["verdict"] == "approved"
    assert any(a["status"] == "approved" and a["region"] == "US" for a in c["approvals"])


def test_alcohol_cites_the_most_recent_review():
    [c] = ask_json("baclofen", "alcohol use disorder")["conditions"]
    rev = c["latest_review"]
    assert rev is not None and rev["sources"]
    years = [s["year"] for s in c["studies"] if s["design"] in ("systematic_review", "meta_analysis")]
    assert rev["year"] == max(years)
    assert any(rev["label"] in r for r in c["reasons"])


def test_overview_lists_every_condition():
    d = ask_json("baclofen")
    check_shape(d)
    ids = {c["condition_id"] for c in d["conditions"]}
    assert {"alcohol_use_disorder", "spasticity", "cocaine_use_disorder"} <= ids


def test_user_evidence_file_is_used_and_marked_as_example():
    d = ask_json("exampleprofen", "alcoholism", "--no-bundled", "--evidence", str(EXAMPLE))
    check_shape(d)
    assert d["example_data"] is True
    [c] = d["conditions"]
    assert {s["id"] for s in c["studies"]} == {"example_rct_2020", "example_cohort_2015"}
    [o] = [o for o in c["outcomes"] if o["single_study"]]
    p = o["single_study"]
    # Single RCT, reported as one study (no pool): RR = (20/50) / (22/50)
    assert o["pooled"] is None
    assert p["measure"] == "RR" and p["study"] == "example_rct_2020"
    assert p["estimate"] == pytest.approx(20 / 22, rel=1e-4)


@pytest.mark.parametrize("args", [("nosuchdrug", "alcohol use disorder"),
                                  ("baclofen", "gout"),
                                  ("exampleprofen", "cannabis", "--no-bundled", "-e", str(EXAMPLE))])
def test_not_covered_exits_2(args):
    r = run("ask", *args)
    assert r.returncode == 2
    assert r.stderr.startswith("not covered:")
    assert "Traceback" not in r.stderr


def test_html_escapes_untrusted_text(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text(EXAMPLE.read_text().replace(
        '"An invented double-blind trial of exampleprofen"',
        '"<script>alert(1)</script> trial"').replace(
        'https://example.org/cohort', 'javascript:alert(2)'))
    out = tmp_path / "r.html"
    r = run("ask", "exampleprofen", "alcohol use disorder", "--no-bundled", "-e", str(evil),
            "--format", "html", "--out", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html
    assert 'href="javascript:' not in html


@pytest.mark.parametrize("fmt", ["md", "terminal"])
def test_text_formats_carry_disclaimer(fmt, tmp_path):
    out = tmp_path / "r.txt"
    r = run("ask", "baclofen", "cocaine", "--format", fmt, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "not medical advice" in out.read_text().replace("\n", " ")


def test_plots_and_html_figures(tmp_path):
    r = run("ask", "baclofen", "alcohol use disorder", "--format", "html",
            "--out", str(tmp_path / "r.html"), "--plots", str(tmp_path / "figs"))
    assert r.returncode == 0, r.stderr
    pngs = sorted((tmp_path / "figs").glob("*.png"))
    svgs = sorted((tmp_path / "figs").glob("*.svg"))
    assert pngs and len(pngs) == len(svgs)
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64,") == len(pngs)
