.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
specs <- list(
  list(name = "dat.linde2005", setup = "dat <- dat.linde2005", es = es2x2("ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
       primary = "RR", order_var = "year", twobytwo = "ai=ai, n1i=n1i, ci=ci, n2i=n2i",
       extra = function(env) list(
         A("rma", "rma(yi, vi, data=es_RR, method='REML', test='t')", "RR", "REML", "t", "es_RR", env, tag = "t"),
         A("rma", "rma(yi, vi, data=es_RR, method='DL', subset=-c(1, 2, 3))", "RR", "DL", "z", "es_RR", env, tag = "neg"),
         A("rma", "rma(yi, vi, data=es_RR, method='REML', subset=1)", "RR", "REML", "z", "es_RR", env, tag = "k1"),
         A("predict", "predict(rma(yi, vi, data=es_RR, method='DL'), level=90)", "RR", "DL", "z", "es_RR", env, tag = "lvl"),
         A("confint", "confint(rma(yi, vi, data=es_RR, method='DL'), level=90)", "RR", "DL", "z", "es_RR", env, tag = "lvl"),
         A("ranktest", "ranktest(rma(yi, vi, data=es_RR, method='DL'), exact=FALSE)", "RR", "DL", NA, "es_RR", env, tag = "approx"),
         A("rma.mods", "rma(yi, vi, mods = ~ year, data=es_RR, method='DL', test='t')", "RR", "DL", "t", "es_RR", env, tag = "t"),
         A("rma", "rma(yi, vi, data=es_RR, method='REML', subset=c(1, 2))", "RR", "REML", "z", "es_RR", env, tag = "k2"),
         A("rma.mods", "rma(yi, vi, mods = ~ year + duration, data=es_RR, method='REML', subset=1:3)", "RR", "REML", "z", "es_RR", env, tag = "err")))
)
for (s in specs) write_fixture(s, outdir)
