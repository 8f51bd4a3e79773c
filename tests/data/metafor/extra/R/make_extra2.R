.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
specs <- list(
  list(name = "dat.hackshaw1998", setup = "dat <- dat.hackshaw1998", es = espre("OR"), primary = "OR", order_var = "year",
       extra = function(env) c(list(
         
         A("rma.mods", "rma(yi, vi, mods = ~ year + design, data=es_OR, method='DL', test='knha')", "OR", "DL", "knha", "es_OR", env, tag = "mods=~year+design"),
         A("regtest", "regtest(rma(yi, vi, data=es_OR, method='REML', test='knha'))", "OR", "REML", "knha", "es_OR", env, tag = "knha"),
         A("trimfill", "trimfill(rma(yi, vi, data=es_OR, method='DL'), estimator='R0')", "OR", "DL", "z", "es_OR", env, tag = "R0"),
         A("rma", "rma(yi, vi, data=es_OR, method='REML', level=90)", "OR", "REML", "z", "es_OR", env, tag = "level=90"),
         A("predict", "predict(rma(yi, vi, data=es_OR, method='PM', test='knha'))", "OR", "PM", "knha", "es_OR", env, tag = "pm")),
         subgroup_block("es_OR", "OR", "design", c("case-control", "cohort"), env))),
  list(name = "dat.nielweise2007", setup = "dat <- dat.nielweise2007", es = es2x2("ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
       primary = "OR", order_var = "year", twobytwo = "ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
  list(name = "dat.egger2001", setup = "dat <- dat.egger2001", es = es2x2("ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
       primary = "RR", order_var = "year", twobytwo = "ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
  list(name = "dat.hine1989", setup = "dat <- dat.hine1989", es = es2x2("ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
       primary = "RD", order_var = NULL, twobytwo = "ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
  list(name = "dat.curtis1998", setup = "dat <- dat.curtis1998[1:30, ]", es = escont(c("ROM", "MD", "SMD")),
       primary = "ROM", order_var = NULL,
       extra = function(env) list(
         A("rma.mods", "rma(yi, vi, mods = ~ factor(fungrp) + time, data=es_ROM, method='REML')", "ROM", "REML", "z", "es_ROM", env, tag = "mods=~fungrp+time"))),
  list(name = "dat.mcdaniel1994", setup = "dat <- dat.mcdaniel1994[1:40, ]", es = escor(c("ZCOR", "COR")), primary = "ZCOR", order_var = NULL,
       extra = function(env) subgroup_block("es_ZCOR", "ZCOR", "struct", c("s", "u"), env)),
  list(name = "dat.debruin2009", setup = "dat <- dat.debruin2009", es = esprop(c("PLO", "PR", "PFT")), primary = "PR", order_var = "year"),
  list(name = "dat.bangertdrowns2004", setup = "dat <- dat.bangertdrowns2004", es = espre("SMD"), primary = "SMD", order_var = "year",
       extra = function(env) list(
         A("rma.mods", "rma(yi, vi, mods = ~ length, data=es_SMD, method='REML')", "SMD", "REML", "z", "es_SMD", env, tag = "mods=~length"),
         A("rma.mods", "rma(yi, vi, mods = ~ length + grade, data=es_SMD, method='ML', test='knha')", "SMD", "ML", "knha", "es_SMD", env, tag = "mods=~length+grade"),
         A("predict.mods", "predict(rma(yi, vi, mods = ~ length + grade, data=es_SMD, method='REML'), newmods=cbind(c(5, 10), c(1, 2)))", "SMD", "REML", "z", "es_SMD", env, tag = "newmods")))
)
for (s in specs) write_fixture(s, outdir)
