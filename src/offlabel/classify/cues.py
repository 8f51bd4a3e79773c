"""Phrase cues for the text-only classifier, written the way a methodologist searches.

Each table is general: the Cochrane Highly Sensitive Search Strategy terms for trials, the usual
wording of case reports ("a 54-year-old woman", "we report a case"), species names for animal
work, the search-and-pool vocabulary of systematic reviews. Nothing here names a particular
paper. The patterns run on lower-cased text.
"""

from __future__ import annotations

import re


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


# --- syntheses ------------------------------------------------------------------------
SR_TITLE = _rx(
    r"\bsystematic(?:al)? (?:literature )?review",
    r"\bmeta-?analy[sz]",
    r"\bpooled analysis\b",
    r"\bumbrella review\b",
    r"\bscoping review\b",
)
META_WORDS = re.compile(r"\bmeta-?analy[sz]|\bnetwork meta|\bpooled (?:estimate|analysis|odds)")
SR_METHODS = _rx(
    r"\b(?:we )?(?:systematically |electronically )?searched (?:the )?(?:\w+ ){0,3}"
    r"(?:medline|pubmed|embase|cochrane|cinahl|psycinfo|web of science|scopus|databases?|literature)",
    r"\b(?:medline|pubmed|embase|cinahl|scopus|web of science)\b[^.]{0,80}\bwere searched",
    r"\bprisma\b",
    r"\b(?:this|a|we (?:conducted|performed|undertook)(?: a)?) systematic (?:literature )?review\b",
    r"\bsystematic review (?:and meta-?analysis )?(?:of|was)\b",
    r"\bmeta-?analy[sz]\w* (?:of|was performed|was conducted|were performed)\b[^.]{0,80}"
    r"\b(?:studies|trials|cohorts|articles)\b",
    r"\b(?:studies|trials|articles) (?:were|was) (?:included|identified|eligible|selected)\b",
    r"\bdata sources\b",
    r"\bstudy selection\b",
    r"\bdata (?:extraction|synthesis)\b",
)

# --- animal and laboratory work -------------------------------------------------------
ANIMAL = re.compile(
    r"\b(?:rats?|mice|mouse|murine|rodents?|rabbits?|dogs?|canine|cats|feline|pigs?|piglets?|"
    r"swine|porcine|sheep|ovine|lambs?|ewes?|cattle|cows?|calves|heifers?|bovine|horses?|equine|"
    r"ponies|monkeys?|macaques?|primates?|baboons?|marmosets?|hamsters?|guinea[- ]pigs?|gerbils?|"
    r"ferrets?|chickens?|chicks?|broilers?|poultry|quail|zebrafish|drosophila|elegans|xenopus|"
    r"frogs?|tadpoles?|fish|trout|salmon|wistar|sprague|c57bl|balb|knockout|"
    r"xenografts?|nude)\b"
)
HUMAN = re.compile(
    r"\b(?:patients?|participants?|volunteers?|wom[ae]n|(?<!\w-)m[ae]n|boys?|girls?|children|"
    r"child|infants?|neonates?|newborns?|adolescents?|persons?|people|individuals|humans|"
    r"physicians|nurses|students|residents|respondents|clinicians|outpatients|inpatients|"
    r"pregnan\w+|\d+-year-old|years? old|aged \d+|clinic|hospitali[sz]ed|hospital)\b"
)
ANIMAL_WEAK = re.compile(r"\banimals?\b|\bin vivo\b|\btransgenic\b|\bexperimental model\b")
# words that say "human disease", not "human subjects" (e.g. 'a model of human disease')
IN_VITRO = re.compile(
    r"\b(?:in vitro|cell lines?|cultured|cell cultures?|hela|hek-?293|cells were (?:treated|"
    r"incubated|exposed|transfected)|transfect\w*|recombinant|purified|crystal structure|"
    r"assays?|in silico|computational model)\b"
)

# --- randomised trials (Cochrane HSSS wording) ------------------------------------------
RCT = _rx(
    r"\brandomi[sz]ed\b",
    r"\brandomly (?:assigned|allocated|divided|distributed|received|given|chosen to receive)\b",
    r"\brandomi[sz]ation\b",
    r"\brandom (?:allocation|assignment)\b",
    r"\brandomi[sz]ed\w*\b",
    r"\b(?:double|single|triple)[- ](?:blind|mask)\w*",
    r"\bplacebo\b",
    # allocation worded as selection: "two groups of patients selected randomly"
    r"\bgroups? of (?:[\w-]+ ){0,2}(?:selected|chosen) (?:at )?random(?:ly)?\b",
)
RCT_NEGATED = _rx(
    r"\bnon-?randomi[sz]\w*",
    r"\bnot (?:been )?randomi[sz]\w*",
    r"\bquasi-?randomi[sz]\w*",
    r"\bwithout randomi[sz]\w*",
    r"\bunrandomi[sz]\w*",
    r"\brandomly (?:selected|sampled|chosen)\b",
    r"\brandom (?:sample|sampling|selection|effects?)\b",
)
# A sentence that only talks about trials elsewhere (background, future work, reviews).
NOT_THIS_STUDY = _rx(
    r"\b(?:needed|warranted|future|further|should be|are required|is required|must be)\b",
    r"\b(?:previous|prior|earlier|published|other|several|many|few|some|existing|recent)"
    r" (?:[\w-]+ ){0,2}(?:randomi[sz]ed|placebo|double-blind|controlled|trials?|studies)\b",
    r"\b(?:have|has) (?:been )?(?:shown|demonstrated|reported|suggested|found)\b",
    r"\b(?:review|meta-?analy\w+|literature) (?:of|on)\b",
    r"\bno (?:[\w-]+ ){0,2}randomi[sz]ed\b",
)
# ...unless the sentence plainly describes this study
THIS_STUDY = _rx(
    r"\bwe\b",
    r"\b(?:this|the present|our|the current) (?:[\w-]+ ){0,3}(?:study|trial|investigation)\b",
    r"\b(?:were|was) (?:randomi[sz]ed|randomly)\b",
    r"\brandomly (?:assigned|allocated|divided)\b",
    r"^(?:design|methods?|setting|study design|materials and methods)\b",
)

NRCT = _rx(
    r"\bnon-?randomi[sz]ed,? (?:\w+ ){0,3}(?:trial|study|comparison|design)",
    r"\bquasi-?(?:experimental|randomi[sz]\w*)",
    r"\bcontrolled (?:clinical )?trial\b",
    r"\bcontrolled (?:study|design|intervention)\b",
    r"\b(?:historical|matched|concurrent|untreated|waiting-list|wait-list) controls?\b",
    r"\b(?:intervention|experimental|treatment|treated) groups?\b[^.]{0,150}"
    r"\b(?:control|comparison) groups?\b",
    r"\b(?:control|comparison) groups?\b[^.]{0,150}\b(?:intervention|experimental) groups?\b",
    r"\bpre-?(?:test)?/post-?test\b[^.]{0,60}\bcontrol",
)

# --- case reports and series ---------------------------------------------------------
_NUM_WORD = r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})"
# NLM tags a report of a handful of patients "Case Reports"; a larger series is a study.
_SMALL = r"(?:two|three|four|five|[2-5])"
CASE_TITLE = _rx(
    r"\bcase reports?\b",
    r"\ba case\b",
    r"\bcases? of\b",
    r"\b(?:report|presentation|description) of (?:a|an|one|" + _NUM_WORD + r") (?:\w+ )?"
    r"(?:cases?|patients?|famil(?:y|ies))\b",
    r"\bin an? (?:\d+-year-old|\w+-year-old|young|elderly|old|adult|pediatric|paediatric|"
    r"pregnant|male|female|premature|preterm)?\s?(?:patient|man|woman|child|boy|girl|infant|"
    r"newborn|neonate|adolescent|athlete|family)\b",
    r"\b(?:a|an) (?:[\w-]+ ){0,2}(?:patient|man|woman|child|boy|girl|infant|newborn) (?:with|who)\b",
    r"^(?:a|an) \d+[- ](?:year|month|week|day)s?[- ]old\b",
    r"\bcase (?:study|presentation)\b",
    r"\b" + _SMALL + r" (?:\w+ )?(?:cases|patients|siblings|brothers|sisters)\b",
    r"\bunusual (?:case|presentation|cause)\b",
    r"\brare (?:case|cause|presentation|complication)\b",
)
CASE_TEXT = _rx(
    r"\bcase reports?\b",
    r"\bcase presentation\b",
    r"\b(?:we|authors?) (?:here |herein |now |also )?(?:report|describe|present|discuss)\w* (?:[\w-]+ ){0,5}"
    r"(?:case|cases|patient|patients|man|woman|boy|girl|child|infant|neonate|newborn|family|"
    r"\d+-year-old|siblings)\b",
    r"\b(?:a|an) (?:\d+|\w+(?:-\w+)?)[- ](?:year|month|week|day)s?[- ]old\b",
    r"\b(?:this|our|the present|the first) (?:reported )?case\b",
    r"\bour patient\b",
    r"\bthe patient (?:was|had|presented|developed|underwent|received|died|recovered)\b",
    r"\b(?:he|she) (?:was|had|presented|developed|underwent|received|died|recovered)\b",
    r"\b(?:case|patient|man|woman|boy|girl|child|infant) (?:[\w-]+ ){0,6}(?:is|was) (?:presented|"
    r"reported|described)\b",
    r"\bcase study\b",
    r"(?:^|[.;] )"
    + _SMALL
    + r" (?:[\w-]+ ){0,3}(?:patients|children|cases|adults|infants|women|men|"
    r"siblings|brothers|sisters|members)\b",
    r"\b(?:in|of) " + _SMALL + r" (?:[\w-]+ ){0,3}(?:patients|children|cases|siblings)\b",
    r"\bpatient concerns\b",
)
CASE_SERIES_N = re.compile(
    r"\b(?:we (?:report|describe|present) |report of |series of |in |of )?(" + _SMALL + r") "
    r"(?:\w+ )?(?:cases|patients)\b"
)

# --- trials without a stated randomisation ---------------------------------------------
TRIAL = _rx(
    r"\bphase (?:i{1,3}|iv|[1-4])(?:[ab])?(?:/(?:i{1,3}|[1-3]))?\b",
    r"\bopen[- ]label\b",
    r"\bsingle[- ](?:arm|group)\b",
    r"\b(?:uncontrolled|non-?comparative|open) (?:\w+ )?(?:trial|study)\b",
    r"\bdose[- ](?:escalation|finding|ranging)\b",
    r"\bpilot (?:study|trial)\b",
    r"\b(?:clinical|therapeutic|multicenter|multicentre|prospective|pilot) trial\b",
    r"\bcross-?over\b",
    r"\bmaximum tolerated dose\b",
    r"\b(?:were|was) (?:treated|given|administered|infused)\b[^.]{0,80}"
    r"\b(?:mg|g|mcg|\xb5g|ug|iu|units?|doses?|daily|infusion)\b",
    r"\b(?:efficacy|effectiveness) and (?:safety|tolerability)\b",
    r"\btrial\b",
)

# --- observational designs -----------------------------------------------------------
CASE_CONTROL = re.compile(r"\bcase[- ]control\b|\bmatched controls?\b|\bcases and controls\b")
CROSS_SECTIONAL = re.compile(
    r"\bcross[- ]sectional\b|\bsurvey\w*\b|\bquestionnaires?\b|\bprevalence\b|\binterview\w*\b"
)
COHORT = _rx(
    r"\bcohorts?\b",
    r"\bcase series\b",
    r"\b(?:review|analysis|series) of (?:\d+|"
    + _NUM_WORD
    + r"|\w+[- ]\w+) (?:consecutive )?(?:cases|"
    r"patients)\b",
    r"\bretrospective\w*\b",
    r"\bprospective\w*\b",
    r"\blongitudinal\b",
    r"\bfollow(?:ed)?[- ]?up\b",
    r"\bfollowed (?:for|over|during|until)\b",
    r"\bregistry\b|\bregister\b|\bdatabases?\b",
    r"\b(?:medical|hospital|clinical) (?:records|charts|notes)\b|\bchart review\b",
    r"\bconsecutive\b",
    r"\bpopulation-based\b",
    r"\b(?:hazard|odds) ratios?\b",
)
# weaker: these also fill narrative reviews, so they need data of the abstract's own
OBSERVATIONAL_WEAK = _rx(
    r"\bincidence\b",
    r"\brisk factors?\b",
    r"\bassociat\w+ (?:with|between)\b",
    r"\bwe (?:reviewed|studied|analy[sz]ed|examined|evaluated|investigated|assessed|compared|"
    r"measured|identified|enrolled|included|followed|recruited)\b",
    r"\b(?:were|was) (?:reviewed|studied|analy[sz]ed|examined|evaluated|investigated|assessed|"
    r"compared|measured|identified|enrolled|included|followed|recruited|collected|obtained)\b",
    r"\b(?:during|over) (?:a|an|the) (?:\w+[- ])?(?:year|month)\b",
    r"\bbetween (?:19|20)\d\d and (?:19|20)\d\d\b",
)
# numbers, percentages and tests: the abstract reports data of its own
EMPIRICAL = re.compile(
    r"\d+(?:\.\d+)?\s?%|\bp\s?[<=>]\s?0?\.\d|\bn\s?=\s?\d|\b\d+ (?:patients|subjects|cases|"
    r"participants|children|women|men|persons|individuals)\b|\b(?:ci|confidence interval)\b"
)

# --- reviews, guidelines and non-study items ------------------------------------------
REVIEW = _rx(
    r"\breview\w*\b",
    r"\boverview\b",
    r"\bupdate\b",
    r"\badvances\b",
    r"\bperspectives?\b",
    r"\bstate[- ]of[- ]the[- ]art\b",
    r"\b(?:this|the present|our) (?:article|paper|chapter|essay|commentary)\b",
    r"\bwe (?:discuss|summari[sz]e|describe the (?:current|recent)|highlight|outline|propose|"
    r"consider|address|examine the (?:evidence|literature|role))\b",
    r"\b(?:is|are) (?:discussed|summari[sz]ed|reviewed|highlighted|outlined|presented)\b",
    r"\bcurrent (?:knowledge|concepts|understanding|status|evidence|data|literature|"
    r"management|treatment|strategies|approaches|role)\b",
    r"\brecent (?:developments|progress|advances|findings|insights|studies|data|evidence)\b",
    r"\bliterature\b",
    r"\bemerging\b",
    r"\bthe role of\b",
)
REVIEW_STRONG = _rx(
    r"\b(?:this|the present|our|a|the) (?:[\w-]+ ){0,2}review\b(?! of (?:\d|" + _NUM_WORD + r"))",
    r"\bwe (?:briefly )?review\b",
    r"\b(?:is|are) (?:briefly )?reviewed\b",
    r"\breview of the literature\b|\bliterature review\b",
    r"\b(?:this|the present|our) (?:article|paper|chapter|essay|commentary|overview)\b",
    r"\bwe (?:discuss|summari[sz]e|highlight|outline)\b",
)
REVIEW_OF_CASES = re.compile(
    r"\breview of (?:\d+|" + _NUM_WORD + r"|\w+[- ]\w+) (?:consecutive )?(?:cases|patients)\b"
)
GUIDELINE = re.compile(
    r"\bguidelines?\b|\bconsensus (?:statement|conference|report)\b|\bposition (?:statement|"
    r"paper)\b|\bpractice (?:parameter|advisory)\b|\brecommendations (?:for|of|on|from)\b"
)
NON_STUDY_TITLE = _rx(
    r"^re:",
    r"\b(?:author'?s'? )?(?:reply|rebuttal|rejoinder)\b",
    r"\b(?:in )?response to (?:the )?(?:letter|comment|editorial|article|dr|criticism)",
    r"\bcomments? (?:on|to)\b|\bcommentary\b",
    r"\bletters?\b",
    r"\beditorials?\b",
    r"\berrat(?:um|a)\b|\bcorrigend\w+\b|\bretract\w+\b|\bexpression of concern\b",
    r"\bin memoriam\b|\bobituary\b|\btribute\b|\bbiography\b|\binterview with\b",
    r"^(?:introduction|preface|foreword|announcement|news|abstracts?|proceedings)\b",
    r"\bcongress\b|\bsymposium\b|\bworkshop\b|\bconference\b|\bmeeting\b|\blecture\b",
    r"(?<!natural )\bhistor(?:y|ical) (?:of|note|perspective|review|vignette)\b",
)
# Case-report title wording, used only when there is no abstract to read: the clinical
# specifics of one presentation (cause, trigger, complication, look-alike).
CASE_TITLE_ONLY = _rx(
    r"\b(?:presenting|presented|manifesting|manifested|presentation) (?:as|with)\b",
    r"\bmimick?ing\b|\bmasquerading\b|\bsimulating\b",
    r"\b(?:secondary to|due to|caused by|induced by|(?<!-)after|following|complicating|complicated "
    r"(?:by|with)|associated with)\b",
    r"\b(?:as a|a rare|an unusual|a late) (?:[\w-]+ )?(?:complication|manifestation|cause|presentation)\b",
    r"\bpost-\w+",
    r"\w-(?:induced|associated|related)\b",
    r"\bimages? (?:of the|in)\b|\bclinical (?:cases?|picture|challenge|quiz|vignette)\b|\bquiz\b",
    r"\b(?:atypical|unusual|rare|giant|massive|spontaneous|isolated|bilateral|"
    r"recurrent|iatrogenic|accidental|congenital)\b",
    r"\bin (?:siblings|twins|a family|an? \w+)\b",
    r"\bwith (?:[\w-]+ ){0,2}(?:therapy|treatment)\b",
    r"\b(?:treated|managed) (?:with|by)\b",
)

# Sentence splitter: a full stop followed by space and an upper-case letter or digit.
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
