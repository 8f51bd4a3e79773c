## collation.R -- how R orders character factor levels (ICU collation of the locale).
## Run with the locale to pin:  LC_ALL=en_US.UTF-8 Rscript collation.R en_US.json
## Writes the inputs, sort(x) and levels(factor(x)) as JSON (offlabel's synthesis/_factor.py
## must reproduce both).
.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "..", "R", "fixtures_lib.R"))
out <- commandArgs(trailingOnly = TRUE)[1]
examples <- c("<400", "400", ">=800", "a", "B", "b", "10", "9", "A", "Ab", "aB", "ab", "AB",
              "_x", "x", "x 1", "x-1", "x1", "X1", "a.b", "a b", "a-b", "a_b", "", " ", "-1", "+1",
              "1.5", "1,5", "10mg", "10 mg", "10-mg", "placebo", "Placebo", "high dose",
              "High-dose", "low dose", "(a)", "[a]", "{a}", "#1", "$5", "%", "&", "~", "|", "'q'",
              "\"q\"", "@home", "*", "/", "\\", "^", "`", "=", ">", "<")
set.seed(1)
ch <- sapply(c(9, 32:126), function(i) intToUtf8(i))
pool <- c(ch, rep(letters, 3), rep(LETTERS, 2), rep(as.character(0:9), 3))
rand <- vapply(1:400, function(i) paste(sample(pool, sample(1:6, 1), replace = TRUE), collapse = ""), "")
x <- unique(c(examples, rand))
fx <- list(r_version = R.version.string, icu = unname(capabilities("ICU")),
           icu_collator = icuGetCollate(), lc_collate = Sys.getlocale("LC_COLLATE"),
           input = arr(x), sort = arr(sort(x)), factor_levels = arr(levels(factor(x))),
           examples = arr(examples), examples_sorted = arr(sort(examples)))
writeLines(to_json(fx), out, useBytes = TRUE)
