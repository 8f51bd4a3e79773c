.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
specs <- list(
  list(name = "dat.mcdaniel1994", setup = "dat <- dat.mcdaniel1994", es = escor(c("ZCOR")), primary = "ZCOR", order_var = NULL),
  list(name = "dat.curtis1998", setup = "dat <- dat.curtis1998", es = escont(c("ROM")), primary = "ROM", order_var = NULL),
  list(name = "dat.collins1985b", setup = "dat <- dat.collins1985b", es = es2x2("ai=pre.xti, n1i=pre.nti, ci=pre.xci, n2i=pre.nci"), primary = "OR", order_var = "year", twobytwo = "ai=pre.xti, n1i=pre.nti, ci=pre.xci, n2i=pre.nci")
)
for (s in specs) write_fixture(s, outdir)
