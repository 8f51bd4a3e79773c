## make_extra10.R -- two metafor behaviours offlabel once missed:
##  * sampling variances <= 0 (RD with add=0: a double-zero table has vi = 0), which metafor
##    accepts with warnings, refusing only what needs 1/vi (dat.nielweise2007.add0,
##    dat.yusuf1985.add0), and negative vi, which it sets to 0;
##  * factor levels of a character moderator in R's collation order, not code points
##    (dat.bcg.levels: "<400" is the reference level, "b" comes before "B").
## Run from tests/data/metafor/extra with the locale R's collation is pinned in:
##   LC_ALL=en_US.UTF-8 Rscript R/make_extra10.R .
.args <- commandArgs(trailingOnly = FALSE)
.here <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(.here, "fixtures_lib.R"))
suppressMessages(library(metadat))
outdir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(outdir, showWarnings = FALSE, recursive = TRUE)
rd_add0 <- list(list(measure = "RD", computed = TRUE,
                     call = "es_RD <- escalc(measure='RD', ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=dat, add=0)"))
specs <- list(
  list(name = "dat.nielweise2007.add0", setup = "dat <- dat.nielweise2007", es = rd_add0,
       primary = "RD", order_var = "year",
       notes = "RD with add=0: the double-zero table (row 15) has vi = 0",
       extra = function(env) list(
         A("rma", "rma(yi, vi, data=es_RD, method='REML', test='t')", "RD", "REML", "t", "es_RD", env, tag = "t"),
         A("rma", "rma(yi, vi, data=es_RD, method='SJ', test='knha')", "RD", "SJ", "knha", "es_RD", env, tag = "sj"),
         A("rma", "rma(yi, vi - 0.0004, data=es_RD, method='REML')", "RD", "REML", "z", "es_RD", env, tag = "negative"),
         A("rma", "rma(yi, vi - 0.0004, data=es_RD, method='HE')", "RD", "HE", "z", "es_RD", env, tag = "negative"),
         A("rma", "rma(yi, vi, data=es_RD, method='REML', subset=-15)", "RD", "REML", "z", "es_RD", env, tag = "without00"),
         A("rma.mods", "rma(yi, vi, mods = ~ year, data=es_RD, method='REML')", "RD", "REML", "z", "es_RD", env, tag = "mods=~year"),
         A("rma.mods", "rma(yi, vi, mods = ~ year, data=es_RD, method='ML', test='knha')", "RD", "ML", "knha", "es_RD", env, tag = "mods=~year"),
         A("rma.mods", "rma(yi, vi, mods = ~ year, data=es_RD, method='HE')", "RD", "HE", "z", "es_RD", env, tag = "mods=~year"),
         A("rma.mods", "rma(yi, vi, mods = ~ year, data=es_RD, method='DL')", "RD", "DL", "z", "es_RD", env, tag = "mods=~year"),
         A("rma.mods", "rma(yi, vi, mods = ~ year, data=es_RD, method='FE')", "RD", "FE", "z", "es_RD", env, tag = "mods=~year"),
         A("predict.mods", "predict(rma(yi, vi, mods = ~ year, data=es_RD, method='REML'), newmods=c(1998, 2004))", "RD", "REML", "z", "es_RD", env, tag = "mods=~year"))),
  list(name = "dat.yusuf1985.add0", setup = "dat <- dat.yusuf1985[dat.yusuf1985$table == '6', ]", es = rd_add0,
       primary = "none", order_var = NULL,
       notes = "RD with add=0: three double-zero tables (vi = 0) and one row of NAs"),
  list(name = "dat.bcg.levels",
       setup = paste0("dat <- dat.bcg; dat$dose <- rep(c('<400', '400', '>=800', 'b', 'B'), length.out = 13); ",
                      "dat$arm <- rep(c('a', 'B', '10', '9'), length.out = 13)"),
       es = es2x2("ai=tpos, bi=tneg, ci=cpos, di=cneg")[1], primary = "none", order_var = NULL,
       notes = "character moderators whose R (ICU collation) level order differs from code-point order",
       extra = function(env) list(
         A("rma.mods", "rma(yi, vi, mods = ~ dose, data=es_RR, method='REML')", "RR", "REML", "z", "es_RR", env, tag = "mods=~dose"),
         A("rma.mods", "rma(yi, vi, mods = ~ factor(dose), data=es_RR, method='DL')", "RR", "DL", "z", "es_RR", env, tag = "mods=~factor(dose)"),
         A("rma.mods", "rma(yi, vi, mods = ~ dose - 1, data=es_RR, method='FE')", "RR", "FE", "z", "es_RR", env, tag = "mods=~dose-1"),
         A("rma.mods", "rma(yi, vi, mods = ~ arm + ablat, data=es_RR, method='REML', test='knha')", "RR", "REML", "knha", "es_RR", env, tag = "mods=~arm+ablat"),
         A("rma.mods", "rma(yi, vi, mods = ~ ablat + arm, data=es_RR, method='ML')", "RR", "ML", "z", "es_RR", env, tag = "mods=~ablat+arm")))
)
for (s in specs) write_fixture(s, outdir)
