.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
specs <- list(
  list(name = "dat.bcg3", setup = "dat <- dat.bcg", es = es2x2("ai=tpos, bi=tneg, ci=cpos, di=cneg")[1], primary = "none", order_var = NULL,
       extra = function(env) list(
         A("rma", "rma(yi, vi, data=es_RR, method=\"REML\", subset=alloc %in% c('random', 'systematic'))", "RR", "REML", "z", "es_RR", env, tag = "in"),
         A("rma", "rma(yi, vi, data=es_RR, method = 'DL', subset = year > 1960 & ablat >= 20)", "RR", "DL", "z", "es_RR", env, tag = "cmp"),
         A("rma", "rma(yi, vi, data=es_RR, method='ML', control=list(threshold=10^-8, maxiter=500))", "RR", "ML", "z", "es_RR", env, tag = "ctl"),
         A("rma.mods", "rma(yi, vi, mods = ~ factor(alloc) - 1, data=es_RR, method='REML')", "RR", "REML", "z", "es_RR", env, tag = "noint"),
         A("rma.mods", "rma(yi, vi, mods = cbind(ablat, year), data=es_RR, method='DL')", "RR", "DL", "z", "es_RR", env, tag = "matrix"),
         A("rma.mods", "rma(yi, vi, mods = ~ ablat * year, data=es_RR, method='FE')", "RR", "FE", "z", "es_RR", env, tag = "inter")))
)
for (s in specs) write_fixture(s, outdir)
