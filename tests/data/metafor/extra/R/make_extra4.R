.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
specs <- list(
  list(name = "dat.lee2004", setup = "dat <- dat.lee2004", es = es2x2("ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
       primary = "OR", order_var = "year", twobytwo = "ai=ai, n1i=n1i, ci=ci, n2i=n2i"),
  list(name = "dat.gibson2002", setup = "dat <- dat.gibson2002[!is.na(dat.gibson2002$m1i), ]; rownames(dat) <- NULL", es = escont(c("SMD", "MD")),
       primary = "SMD", order_var = "year"),
  list(name = "dat.kalaian1996", setup = "dat <- dat.kalaian1996[dat.kalaian1996$outcome == 'verbal', ]; rownames(dat) <- NULL", es = espre("SMD"), primary = "SMD", order_var = "year",
       extra = function(env) c(list(
         A("rma.mods", "rma(yi, vi, mods = ~ log(hrs) + ets, data=es_SMD, method='REML')", "SMD", "REML", "z", "es_SMD", env, tag = "mods=~loghrs+ets"),
         A("rma.mods", "rma(yi, vi, mods = ~ I(year - 1980), data=es_SMD, method='HE')", "SMD", "HE", "z", "es_SMD", env, tag = "mods=~I(year-1980)"),
         A("rma.mods", "rma(yi, vi, mods = ~ hrs:ets, data=es_SMD, method='SJ')", "SMD", "SJ", "z", "es_SMD", env, tag = "mods=~hrs:ets"),
         A("rma.mods", "rma(yi, vi, mods = ~ hrs, data=es_SMD, method='PM')", "SMD", "PM", "z", "es_SMD", env, tag = "mods=~hrs:pm"),
         A("rma.mods", "rma(yi, vi, mods = ~ hrs, data=es_SMD, method='EB')", "SMD", "EB", "z", "es_SMD", env, tag = "mods=~hrs:eb"),
         A("rma.mods", "rma(yi, vi, mods = ~ hrs, data=es_SMD, method='HS')", "SMD", "HS", "z", "es_SMD", env, tag = "mods=~hrs:hs")),
         subgroup_block("es_SMD", "SMD", "ets", c("0", "1"), env)))
)
for (s in specs) write_fixture(s, outdir)
