.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
specs <- list(
  list(name = "dat.bcg2", setup = "dat <- dat.bcg", es = es2x2("ai=tpos, bi=tneg, ci=cpos, di=cneg"),
       primary = "OR", order_var = "year", twobytwo = NULL,
       extra = function(env) list(
         A("leave1out", "leave1out(rma(yi, vi, data=es_OR, method='DL', slab=author))", "OR", "DL", "z", "es_OR", env, tag = "slab"),
         A("cumul", "cumul(rma(yi, vi, data=es_OR, method='DL', slab=paste(author, year)), order=year)", "OR", "DL", "z", "es_OR", env, tag = "slab"),
         A("influence", "influence(rma(yi, vi, data=es_OR, method='DL', slab=alloc))", "OR", "DL", "z", "es_OR", env, tag = "slab")))
)
for (s in specs) write_fixture(s, outdir)
