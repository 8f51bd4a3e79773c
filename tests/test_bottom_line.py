"""The bottom line first (issue 16, rule 9).

Every bundled question, in the terminal and Markdown reports at 80 columns, opens with the
question, the verdict, the certainty and whose rating it is, the estimates the verdict rests on,
approval conditions and the main harm, then the disclaimer, all within 30 lines and before the
drug profile; `--brief` prints only that. Studies are named "First author year", never by
their internal id. Constructed report dicts check what the bottom line picks (the rating
system, the estimates with k and n, the approval's conditions, the harm) where the right
reading is known.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from rich.console import Console

from offlabel.pipeline import Offlabel
from offlabel.report.bottomline import MAX_ESTIMATES, bottom_line
from offlabel.report.data import answer_dict
from offlabel.report.formats import render_answer
from offlabel.report.markdown import render_bottom_line as render_md
from offlabel.report.names import relabeller, study_label, surname
from offlabel.report.terminal import render as render_terminal
from offlabel.report.words import (
    CERTAINTY_TEXT,
    DISCLAIMER,
    NO_HARM,
    SYSTEM_AHRQ,
    SYSTEM_COCHRANE,
    SYSTEM_OFFLABEL,
    VERDICT_TEXT,
)

LIMIT = 30
OFFLABEL = [sys.executable, "-m", "offlabel"]


@pytest.fixture(scope="module")
def questions() -> list[tuple[str, Any]]:
    """Every bundled question: each drug's overview and each drug x covered condition."""
    app = Offlabel()
    out = []
    for drug in sorted(app.base().drugs):
        overview = app.ask(drug, None).answer
        out.append((f"{drug} (overview)", overview))
        for c in overview.conditions:
            out.append((f"{drug} / {c.condition.name}", app.ask(drug, c.condition.name).answer))
    assert len(out) >= 20, "the bundled evidence should give at least 20 questions"
    return out


def lines80(text: str) -> list[str]:
    """The text as a reader sees it at 80 columns (rich already wraps the terminal's)."""
    out: list[str] = []
    for line in text.rstrip("\n").split("\n"):
        out.extend(textwrap.wrap(line, 80) or [""])
    return out


def flat(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


DETAILS = {"terminal": re.compile(r"^Details\b"), "md": re.compile(r"^## Details\b")}


def _bottom(fmt: str, text: str) -> list[str]:
    lines = lines80(text)
    end = next((i for i, line in enumerate(lines) if DETAILS[fmt].match(line)), None)
    assert end is not None, "no Details marker after the bottom line"
    return lines[:end]


# --- every bundled question ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["terminal", "md"])
def test_bottom_line_within_30_lines(questions: list[tuple[str, Any]], fmt: str) -> None:
    bad = []
    for name, ans in questions:
        d = answer_dict(ans)
        block = _bottom(fmt, render_answer(ans, fmt, width=80))
        text = flat(block)
        must = [d["question"]["text"], " ".join(DISCLAIMER.split()), "Main harm"]
        must += [VERDICT_TEXT[c["verdict"]] for c in d["conditions"]]
        must += [CERTAINTY_TEXT[c["certainty"]] for c in d["conditions"]]
        if d["question"]["condition"] is not None:
            must += ["Verdict:", "Key estimates", "Approv"]
        missing = [m for m in must if m.replace("*", "") not in text.replace("*", "")
                   .replace("\\", "")]
        if len(block) >= LIMIT or missing:
            bad.append((name, len(block), missing))
    assert not bad, f"bottom line too long or incomplete ({fmt}): {bad}"


@pytest.mark.parametrize("fmt", ["terminal", "md"])
def test_verdict_comes_before_the_drug_profile(questions: list[tuple[str, Any]],
                                               fmt: str) -> None:
    bad = []
    for name, ans in questions:
        d = answer_dict(ans)
        lines = lines80(render_answer(ans, fmt, width=80))
        first = VERDICT_TEXT[d["conditions"][0]["verdict"]]
        verdict_at = next(i for i, line in enumerate(lines) if first in line)
        profile_at = next((i for i, line in enumerate(lines)
                           if line.startswith(("Class:", "Mechanism:", "Brand names:"))), None)
        assert profile_at is not None, f"{name}: no drug profile in the {fmt} report"
        if not verdict_at < profile_at:
            bad.append((name, verdict_at, profile_at))
    assert not bad, f"verdict after the drug profile ({fmt}): {bad}"


@pytest.mark.parametrize("fmt", ["terminal", "md"])
def test_brief_is_the_bottom_line_alone(questions: list[tuple[str, Any]], fmt: str) -> None:
    for name, ans in questions:
        full = render_answer(ans, fmt, width=80)
        brief = render_answer(ans, fmt, width=80, brief=True)
        lines = lines80(brief)
        assert len(lines) < LIMIT, f"{name}: --brief is {len(lines)} lines"
        assert not any(DETAILS[fmt].match(line) for line in lines), name
        assert lines == _bottom(fmt, full)[: len(lines)], f"{name}: brief differs from the top"


def test_brief_on_the_command_line(tmp_path: Any) -> None:
    r = subprocess.run([*OFFLABEL, "ask", "baclofen", "alcohol use disorder", "--brief"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.rstrip("\n").split("\n")
    assert len(lines) < LIMIT and max(len(x) for x in lines) <= 80
    assert "Verdict:" in r.stdout and "not medical advice" in flat(lines)
    assert "Mechanism:" not in r.stdout and "Studies" not in r.stdout
    md = tmp_path / "b.md"
    r = subprocess.run([*OFFLABEL, "ask", "baclofen", "cocaine", "--brief", "-f", "md",
                        "-o", str(md)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(lines80(md.read_text())) < LIMIT and "## Details" not in md.read_text()


def test_brief_json_is_the_whole_report() -> None:
    def ask(*extra: str) -> Any:
        r = subprocess.run([*OFFLABEL, "ask", "baclofen", "cocaine", "-f", "json", *extra],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    assert ask("--brief") == ask()


def test_html_opens_with_the_bottom_line(questions: list[tuple[str, Any]]) -> None:
    _, ans = next(q for q in questions if "alcohol use disorder" in q[0])
    page = render_answer(ans, "html")
    top = page.index('class="bottom-line"')
    assert top < page.index("Main harm") < page.index("Class:")
    assert top < page.index("Verdict:") < page.index("<h3>Studies</h3>")
    brief = render_answer(ans, "html", brief=True)
    assert "Main harm" in brief and "<h3>Studies</h3>" not in brief and "Class:" not in brief


# --- study names ---------------------------------------------------------------------------

ID_LIKE = re.compile(r"(?<![\w.:/])[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*\d{4}[\w-]*")


def looks_like_id(label: str, study_id: str) -> bool:
    return study_id in label or bool(ID_LIKE.search(label))


def test_id_detector_catches_what_reports_used_to_print() -> None:
    assert looks_like_id("agra2024_baclofen_vs_acamprosate 2024", "agra2024_baclofen_vs_acamprosate")
    assert looks_like_id("gs39783-3lines2012 2012", "gs39783-3lines2012")
    assert looks_like_id("franklin2009 2009", "x")
    assert not looks_like_id("Addolorato 2007", "addolorato2007")
    assert not looks_like_id("de Beaurepaire 2012", "debeaurepaire2012")


def test_study_label_is_first_author_surname_and_year() -> None:
    assert surname("Garbutt JC") == "Garbutt"
    assert surname("de Beaurepaire R") == "de Beaurepaire"
    assert surname("Le Foll B") == "Le Foll"
    assert surname("ANSM") == "ANSM"
    assert study_label("Addolorato G", 2007) == "Addolorato 2007"
    title = "Role of Acamprosate and Baclofen as Anti-craving Agents in Alcohol Use Disorder"
    short = study_label(None, 2024, title)
    assert short.startswith("Role of Acamprosate") and short.endswith("… 2024")
    assert len(short) < len(title)
    assert study_label(None, 2020, None, "CNS Drugs") == "CNS Drugs 2020"
    assert study_label(None, None) == "Unnamed study"


def test_relabeller_rewrites_legacy_names_in_sentences() -> None:
    studies = [
        {"id": "franklin2009", "first_author": None, "year": 2009,
         "title": "The GABA B agonist baclofen reduces cigarette consumption", "journal": None},
        {"id": "garbutt2021", "first_author": "Garbutt JC", "year": 2021, "title": None,
         "journal": None},
        {"id": "rats_untimed", "first_author": None, "year": None, "title": None,
         "journal": "Psychopharmacology"},
    ]
    name = relabeller(studies)
    out = name("favour the drug (franklin2009 2009, Garbutt JC 2021) [rats_untimed; PMID 1]")
    assert "franklin2009" not in out and "rats_untimed" not in out
    assert "Garbutt 2021" in out and "(The GABA B agonist baclofen" in out and "… 2009," in out
    assert "Psychopharmacology;" in out


def test_rendered_study_names_are_author_year(questions: list[tuple[str, Any]]) -> None:
    bad = []
    for name, ans in questions:
        d = answer_dict(ans)
        studies = [s for c in d["conditions"] for s in c["studies"]]
        for s in studies:
            if looks_like_id(s["label"], s["id"]):
                bad.append((name, "label", s["label"]))
            if s["first_author"]:
                want = f"{surname(s['first_author'])} {s['year']}" if s["year"] else None
                if want and s["label"] != want:
                    bad.append((name, "label", s["label"], want))
        texts = {
            "terminal80": render_answer(ans, "terminal", width=80),
            "terminal200": render_answer(ans, "terminal", width=200),
            "md": render_answer(ans, "md").replace("\\_", "_").replace("\\-", "-"),
        }
        for fmt, text in texts.items():
            joined = text + " " + text.replace("\n", "")
            bad += [(name, fmt, s["id"]) for s in studies if s["id"] in joined]
        if d["question"]["condition"] is not None:
            for s in d["conditions"][0]["studies"]:
                if f"• {s['label']}:" not in texts["terminal200"]:
                    bad.append((name, "terminal row", s["label"]))
                if f"| {s['label']} |" not in texts["md"].replace("\\", ""):
                    bad.append((name, "md row", s["label"]))
    assert not bad, f"studies named by id or not 'Author year': {bad[:10]}"


# --- constructed report dicts --------------------------------------------------------------


def _pp(label: str, review: str, outcome: str, kind: str, est: float, lb: float, ub: float,
        k: int, n: int | None = None, favours: str = "favours_drug") -> dict[str, Any]:
    return {"review": review, "label": label, "year": 2020, "outcome": outcome, "kind": kind,
            "measure": "RR", "estimate": est, "ci_lb": lb, "ci_ub": ub, "favours": favours,
            "k_studies": k, "k_basis": "outcome", "n": n, "source": "PMID 1"}


def _review(sid: str, author: str, journal: str, where: str = "Abstract",
            year: int = 2020) -> dict[str, Any]:
    return {"id": sid, "first_author": author, "year": year, "title": "A review", "label":
            study_label(author, year), "journal": journal, "doi": None, "conclusion": None,
            "design": "meta_analysis", "outcomes": [],
            "sources": [{"label": "PMID 1", "where": where, "quote": "..."}]}


def report(journal: str = "Cochrane Database Syst Rev", where: str = "Abstract",
           boxed: str | None = None, extra_claims: int = 0) -> dict[str, Any]:
    """A supported verdict whose certainty follows a review's relapse estimate (moderate),
    beside offlabel's own abstinence pool (low), with a French approval under conditions."""
    reasons = [
        "Regulatory: France — alcohol dependence after failure of other treatments, maximum "
        "80 mg/day: approved (2018) [PMID 2]",
        "Relapse (Smith A 2020): benefit, RR 0.8 (0.7 to 0.9); certainty moderate",
        "Abstinence (RR, vs placebo/control) (offlabel pool of RCTs): benefit, RR 1.5 (1.1 to "
        "2.0); certainty low",
    ]
    pps = [_pp("Smith A 2020", "smith2020", "Relapse", "relapse", 0.8, 0.7, 0.9, 12, 1057)]
    for i in range(extra_claims):
        pps.append(_pp("Smith A 2020", "smith2020", f"Outcome {i}", "consumption", 0.9, 0.8,
                       1.1, 5, favours="no_difference"))
        reasons.append(f"Outcome {i} (Smith A 2020): no clear effect, RR 0.9 (0.8 to 1.1); "
                       "certainty low")
    reasons.append("Certainty follows the most important outcome with a benefit: Relapse "
                   "(Smith A 2020), moderate.")
    cond = {
        "condition": "alcohol use disorder", "verdict": "supported",
        "evidence_verdict": "supported", "certainty": "moderate",
        "summary": "Randomised evidence shows a benefit on Relapse.", "reasons": reasons,
        "approvals": [
            {"region": "France", "agency": "ANSM", "status": "approved", "year": 2018,
             "indication": "alcohol dependence after failure of other treatments, maximum "
                           "80 mg/day", "sources": []},
            {"region": "US", "agency": "FDA", "status": "not_approved", "year": None,
             "indication": "alcohol use disorder", "sources": []}],
        "latest_review": {"id": "smith2020", "label": "Smith A 2020"},
        "published_pooled_estimates": pps,
        "outcomes": [{"outcome": "Abstinence (RR, vs placebo/control)", "kind": "abstinence",
                      "comparator": "placebo", "verdict": "benefit", "certainty": "low",
                      "pooled": {"measure": "RR", "estimate": 1.5, "ci_lb": 1.1, "ci_ub": 2.0,
                                 "k": 3, "n": 300, "I2": 10.0}}],
        "studies": [_review("smith2020", "Smith A", journal, where)],
    }
    return {"question": {"drug": "Testdrug", "condition": "alcohol use disorder",
                         "text": "Can testdrug be used for alcohol use disorder?"},
            "disclaimer": DISCLAIMER, "example_data": False,
            "drug": {"name": "Testdrug", "boxed_warning": boxed, "approvals": []},
            "conditions": [cond]}


def test_certainty_keeps_the_reviews_system() -> None:
    line = bottom_line(report()).conditions[0]
    assert (line.certainty, line.system, line.system_origin) == (
        "moderate", SYSTEM_COCHRANE, "Smith 2020")
    ahrq = bottom_line(report(journal="JAMA", where="Table: AHRQ strength of evidence"))
    assert ahrq.conditions[0].system == SYSTEM_AHRQ


def test_certainty_system_stated_in_the_dict_wins() -> None:
    d = report(journal="JAMA")
    c = d["conditions"][0]
    c["certainty"], c["certainty_system"] = "low", "AHRQ strength of evidence"
    c["published_pooled_estimates"].append(
        {**_pp("Jones B 2023", "jones2023", "Return to drinking", "relapse", 0.83, 0.7, 0.98, 8),
         "certainty": "low", "certainty_system": "AHRQ strength of evidence"})
    c["studies"].append(_review("jones2023", "Jones B", "JAMA", year=2023))
    line = bottom_line(d).conditions[0]
    assert (line.system, line.system_origin) == (SYSTEM_AHRQ, "Jones 2023")


def test_estimates_the_verdict_rests_on_with_k_and_n() -> None:
    line = bottom_line(report()).conditions[0]
    first, second = line.estimates
    assert (first.outcome, first.effect, first.k, first.n, first.origin) == (
        "Relapse", "RR 0.80 (0.70 to 0.90)", "12", 1057, "Smith 2020")
    assert (second.k, second.n, second.origin, second.certainty) == ("3", 300, "offlabel pool",
                                                                      "low")
    many = bottom_line(report(extra_claims=4)).conditions[0]
    assert len(many.estimates) == MAX_ESTIMATES and many.more_estimates == 3
    assert many.estimates[0].outcome == "Relapse"


def test_no_pooled_estimate_means_offlabel_grade_and_the_summary() -> None:
    d = report()
    c = d["conditions"][0]
    c["reasons"] = ["Certainty imprecision -2: no extractable effect estimate"]
    c["published_pooled_estimates"], c["outcomes"] = [], []
    c["summary"] = "Controlled RCTs disagree (1 of 2 favour the drug)."
    line = bottom_line(d).conditions[0]
    assert line.system == SYSTEM_OFFLABEL and line.estimates == []
    text = render_md(d)
    assert "Controlled RCTs disagree (1 of 2 favour the drug)." in text


def test_approval_conditions_and_main_harm_are_shown() -> None:
    boxed = ("Abrupt discontinuation has produced high fever and death. Pumps must be watched "
             "closely by carers.")
    d = report(boxed=boxed)
    buf = io.StringIO()
    render_terminal(d, Console(file=buf, width=80), brief=True)
    text = flat(buf.getvalue().split("\n"))
    assert "after failure of other treatments, maximum 80 mg/day" in text
    assert "US: not approved" in text
    assert "Main harm: Boxed warning: Abrupt discontinuation has produced high fever and death." \
        in text and "Pumps must" not in text
    assert text.index("Verdict:") < text.index("Key estimates") < text.index("Main harm") \
        < text.index("not medical advice")


def test_main_harm_without_a_boxed_warning() -> None:
    d = report()
    d["conditions"][0]["harms"] = [{"kind": "overdose", "finding": "Poisoning with coma in "
                                    "overdose.", "studies": [], "source": None}]
    assert bottom_line(d).harm == "Poisoning with coma in overdose."
    del d["conditions"][0]["harms"]
    d["conditions"][0]["published_pooled_estimates"].append(
        _pp("Smith A 2020", "smith2020", "Any adverse event", "adverse_events", 1.05, 0.99,
            1.11, 17, favours="no_difference"))
    assert bottom_line(d).harm == "Any adverse event (Smith 2020): RR 1.05 (0.99 to 1.11), k = 17"
    d["conditions"][0]["published_pooled_estimates"].pop()
    assert bottom_line(d).harm is None and NO_HARM in render_md(d)


def test_two_reviews_rating_differently_are_both_shown() -> None:
    d = report(journal="JAMA")
    c = d["conditions"][0]
    c["certainty"] = "low"
    c["certainty_ratings"] = [
        {"origin": "Smith A 2020", "outcome": "Relapse", "kind": "relapse",
         "certainty": "moderate", "certainty_system": "GRADE (Cochrane review)", "used": False},
        {"origin": "Jones B 2023", "outcome": "Return to drinking", "kind": "relapse",
         "certainty": "low", "certainty_system": "AHRQ strength of evidence", "used": True}]
    c["studies"].append(_review("jones2023", "Jones B", "JAMA", year=2023))
    line = bottom_line(d).conditions[0]
    assert (line.system, line.system_origin) == (SYSTEM_AHRQ, "Jones 2023")
    assert line.other_ratings == [f"Moderate ({SYSTEM_COCHRANE}, Smith 2020)"]
    text = " ".join(render_md(d).split())
    assert (f"certainty **Low ({SYSTEM_AHRQ}, Jones 2023); also rated Moderate "
            f"({SYSTEM_COCHRANE}, Smith 2020)**") in text


def test_a_boxed_warning_for_one_use_is_not_the_main_harm_of_another() -> None:
    # Baclofen's boxed warning is the intrathecal pump's (used for spasticity only): the main
    # harm of an oral, off-label use is the most serious harm that concerns that use.
    ol = Offlabel()
    lines = {}
    for condition in ("spasticity", "alcohol use disorder", "cocaine use disorder"):
        d = answer_dict(ol.ask("baclofen", condition, record=False).answer)
        harms = d["conditions"][0]["harms"]
        lines[condition] = bottom_line(d).harm or ""
        boxed = [h for h in harms if h["kind"] == "boxed_warning"]
        assert bool(boxed) == (condition == "spasticity"), condition
    assert lines["spasticity"].startswith("Boxed warning: Intrathecal baclofen")
    for condition in ("alcohol use disorder", "cocaine use disorder"):
        assert "Intrathecal" not in lines[condition]
        assert "abrupt discontinuation" in lines[condition]  # the oral label's withdrawal warning
