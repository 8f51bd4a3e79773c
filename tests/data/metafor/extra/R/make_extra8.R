.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
esrate <- function(ms) lapply(ms, function(m) list(measure = m, computed = TRUE,
  call = paste0("es_", m, " <- escalc(measure='", m, "', x1i=x1i, t1i=t1i, x2i=x2i, t2i=t2i, data=dat)")))
esrate1 <- function(ms) lapply(ms, function(m) list(measure = m, computed = TRUE,
  call = paste0("es_", m, " <- escalc(measure='", m, "', xi=x1i, ti=t1i, data=dat)")))
specs <- list(
  list(name = "dat.hart1999", setup = "dat <- dat.hart1999", es = c(esrate(c("IRR", "IRD")), esrate1(c("IR", "IRLN"))), primary = "IRR", order_var = "year",
       extra = function(env) list(
         A("rma.mh", "rma.mh(x1i=x1i, t1i=t1i, x2i=x2i, t2i=t2i, data=dat, measure='IRR')", "IRR", "MH", "z", NA, env, tag = "rates"),
         A("rma.mh", "rma.mh(x1i=x1i, t1i=t1i, x2i=x2i, t2i=t2i, data=dat, measure='IRD')", "IRD", "MH", "z", NA, env, tag = "rates"),
         A("rma", "rma(measure='IRR', x1i=x1i, t1i=t1i, x2i=x2i, t2i=t2i, data=dat, method='DL')", "IRR", "DL", "z", NA, env, tag = "counts")))
)
for (s in specs) write_fixture(s, outdir)
