.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
ex <- function(env) {
  out <- list()
  for (m in c("PM", "EB", "ML", "HE", "SJ", "HS")) {
    out <- c(out, list(
      A("leave1out", sprintf("leave1out(rma(yi, vi, data=es_SMD, method='%s', test='knha'))", m), "SMD", m, "knha", "es_SMD", env, tag = "x"),
      A("influence", sprintf("influence(rma(yi, vi, data=es_SMD, method='%s', test='knha'))", m), "SMD", m, "knha", "es_SMD", env, tag = "x"),
      A("cumul", sprintf("cumul(rma(yi, vi, data=es_SMD, method='%s'), order=-year)", m), "SMD", m, "z", "es_SMD", env, tag = "x"),
      A("trimfill", sprintf("trimfill(rma(yi, vi, data=es_SMD, method='%s'))", m), "SMD", m, "z", "es_SMD", env, tag = "x"),
      A("regtest", sprintf("regtest(rma(yi, vi, data=es_SMD, method='%s'), predictor='vi')", m), "SMD", m, "z", "es_SMD", env, tag = "x"),
      A("confint", sprintf("confint(rma(yi, vi, data=es_SMD, method='%s'))", m), "SMD", m, "z", "es_SMD", env, tag = "x")))
  }
  out
}
specs <- list(
  list(name = "dat.raud2", setup = "dat <- dat.raudenbush1985", es = espre("SMD"), primary = "none", order_var = NULL, extra = ex)
)
for (s in specs) write_fixture(s, outdir)
