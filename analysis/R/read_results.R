# Reading a harmsim results file (docs/output.md, schema versions 1 and 2) in R
# with hdf5r (Debian 12: r-base-core, r-cran-hdf5r), into the same long table
# as the Python package's harmsim_analysis.load().
#
# In R:
#   source("analysis/R/read_results.R")
#   df  <- harmsim_load("results.h5", metrics = c("violence_buyer", "arrests_worker"))
#   tot <- harmsim_totals("results.h5")      # one horizon total per scenario, replicate, metric
#   aggregate(value ~ scenario + metric, data = tot, FUN = mean)
#
# From the shell, a CSV on standard output (or in -o FILE):
#   Rscript analysis/R/read_results.R RESULTS.h5 [--totals] [--metric NAME]...
#       [--stratum NAME]... [--all-strata] [--scenario NAME]... [-o OUT.csv]
#
# hdf5r reverses the order of the dimensions: a series stored as [R, D, S]
# (replicate, day, stratum; C order) arrives as an S x D x R array. Read in
# R's column-major order that array runs stratum fastest, then day, then
# replicate, which is the row order of load(): replicate, day, stratum.

suppressPackageStartupMessages(library(hdf5r))

#: Versions of docs/output.md read here (as in harmsim_analysis.io).
harmsim_schema_versions <- c(1L, 2L)

harmsim_fail <- function(...) stop(paste0(...), call. = FALSE)

# Opens a finished results file read-only, or stops with a message naming it:
# a '*.partial' file, one without the root attribute complete = 1 and one of
# an unknown schema_version are refused, as harmsim_analysis refuses them.
harmsim_open <- function(path) {
  if (grepl("\\.partial$", path)) {
    harmsim_fail(path, ": a '.partial' file is an unfinished run (docs/output.md); rerun the same command to finish it")
  }
  if (!file.exists(path)) harmsim_fail(path, ": no such results file")
  f <- tryCatch(H5File$new(path, mode = "r"),
                error = function(e) harmsim_fail(path, ": cannot be read as an HDF5 file"))
  ok <- FALSE
  on.exit(if (!ok) f$close_all())
  attrs <- h5attr_names(f)
  if (!("complete" %in% attrs) || !isTRUE(as.numeric(h5attr(f, "complete")) == 1)) {
    harmsim_fail(path, ": not a finished harmsim result (no root attribute complete = 1; ",
                 "the run was interrupted or is still writing)")
  }
  if (!("schema_version" %in% attrs)) harmsim_fail(path, ": no root attribute 'schema_version'; not a harmsim result")
  version <- as.integer(h5attr(f, "schema_version"))
  if (!(version %in% harmsim_schema_versions)) {
    harmsim_fail(path, ": schema_version ", version, " is not supported by this script (it reads ",
                 paste(harmsim_schema_versions, collapse = ", "), ")")
  }
  ok <- TRUE
  f
}

harmsim_read_info <- function(f) {
  metrics <- f[["metrics/name"]][]
  list(
    schema_version = as.integer(h5attr(f, "schema_version")),
    metrics = metrics,
    kinds = setNames(f[["metrics/kind"]][], metrics),
    strata = f[["strata"]][],
    scenarios = f[["scenario_names"]][]
  )
}

# Names, kinds, strata and scenarios (in run order; the first is the baseline).
harmsim_info <- function(path) {
  f <- harmsim_open(path)
  on.exit(f$close_all())
  harmsim_read_info(f)
}

# Checks a selection against the names in the file; NULL selects them all.
harmsim_select <- function(requested, available, what, path) {
  if (is.null(requested)) return(available)
  unknown <- setdiff(requested, available)
  if (length(unknown) > 0) harmsim_fail(path, ": no ", what, " named '", unknown[1], "'")
  unique(requested)
}

# Daily series as a long data.frame: scenario, replicate, day, metric, stratum,
# value; one row per scenario x metric x replicate x day x stratum, in that
# order. scenario, metric and stratum are factors with the levels in the order
# selected, replicate and day count from 0 (day 0 is the first reported day,
# after the warm-up). strata = NULL selects every stratum.
harmsim_load <- function(path, metrics = NULL, strata = "all", scenarios = NULL) {
  f <- harmsim_open(path)
  on.exit(f$close_all())
  info <- harmsim_read_info(f)
  metric_sel <- harmsim_select(metrics, info$metrics, "metric", path)
  strata_sel <- harmsim_select(strata, info$strata, "stratum", path)
  scen_sel <- harmsim_select(scenarios, info$scenarios, "scenario", path)
  columns <- match(strata_sel, info$strata)
  k <- length(columns)
  parts <- list()
  for (scen in scen_sel) {
    for (metric in metric_sel) {
      name <- paste0("scenarios/", scen, "/series/", metric)
      if (!f$exists(name)) harmsim_fail(path, ": scenario '", scen, "' has no series for metric '", metric, "'")
      ds <- f[[name]]
      dims <- ds$dims # already reversed: S, D, R
      if (length(dims) != 3 || dims[1] != length(info$strata)) {
        harmsim_fail(path, ": ", name, " has dimensions ", paste(rev(dims), collapse = " x "),
                     ", expected R x D x ", length(info$strata))
      }
      x <- ds$read(drop = FALSE)
      dim(x) <- dims
      x <- x[columns, , , drop = FALSE]
      n_day <- dims[2]
      n_rep <- dims[3]
      parts[[length(parts) + 1]] <- data.frame(
        scenario = scen,
        replicate = rep(seq_len(n_rep) - 1L, each = k * n_day),
        day = rep(rep(seq_len(n_day) - 1L, each = k), times = n_rep),
        metric = metric,
        stratum = rep(strata_sel, times = n_day * n_rep),
        value = as.numeric(x),
        stringsAsFactors = FALSE
      )
    }
  }
  out <- if (length(parts) > 0) do.call(rbind, parts) else
    data.frame(scenario = character(), replicate = integer(), day = integer(), metric = character(),
               stratum = character(), value = numeric(), stringsAsFactors = FALSE)
  out$scenario <- factor(out$scenario, levels = scen_sel)
  out$metric <- factor(out$metric, levels = metric_sel)
  out$stratum <- factor(out$stratum, levels = strata_sel)
  rownames(out) <- NULL
  out
}

# Per replicate horizon totals of stratum 'all' (totals/<metric>: the sum of a
# count, the mean of a level or share over the reported days) as a long
# data.frame: scenario, replicate, metric, value.
harmsim_totals <- function(path, metrics = NULL, scenarios = NULL) {
  f <- harmsim_open(path)
  on.exit(f$close_all())
  info <- harmsim_read_info(f)
  metric_sel <- harmsim_select(metrics, info$metrics, "metric", path)
  scen_sel <- harmsim_select(scenarios, info$scenarios, "scenario", path)
  parts <- list()
  for (scen in scen_sel) {
    for (metric in metric_sel) {
      name <- paste0("scenarios/", scen, "/totals/", metric)
      if (!f$exists(name)) next
      values <- as.numeric(f[[name]]$read())
      parts[[length(parts) + 1]] <- data.frame(scenario = scen, replicate = seq_along(values) - 1L,
                                               metric = metric, value = values, stringsAsFactors = FALSE)
    }
  }
  out <- do.call(rbind, parts)
  out$scenario <- factor(out$scenario, levels = scen_sel)
  out$metric <- factor(out$metric, levels = metric_sel)
  rownames(out) <- NULL
  out
}

harmsim_read_results_main <- function(args) {
  usage <- paste("usage: Rscript read_results.R RESULTS.h5 [--totals] [--metric NAME]... [--stratum NAME]...",
                 "[--all-strata] [--scenario NAME]... [-o OUT.csv]")
  path <- NULL
  totals <- FALSE
  all_strata <- FALSE
  metrics <- NULL
  strata <- NULL
  scenarios <- NULL
  out <- ""
  i <- 1
  value_of <- function() {
    if (i + 1 > length(args)) harmsim_fail(args[i], " needs a value\n", usage)
    args[i + 1]
  }
  while (i <= length(args)) {
    a <- args[i]
    if (a %in% c("-h", "--help")) {
      cat(usage, "\n")
      return(invisible(0))
    } else if (a == "--totals") {
      totals <- TRUE
    } else if (a == "--all-strata") {
      all_strata <- TRUE
    } else if (a == "--metric") {
      metrics <- c(metrics, value_of()); i <- i + 1
    } else if (a == "--stratum") {
      strata <- c(strata, value_of()); i <- i + 1
    } else if (a == "--scenario") {
      scenarios <- c(scenarios, value_of()); i <- i + 1
    } else if (a == "-o") {
      out <- value_of(); i <- i + 1
    } else if (startsWith(a, "-") || !is.null(path)) {
      harmsim_fail("unexpected argument '", a, "'\n", usage)
    } else {
      path <- a
    }
    i <- i + 1
  }
  if (is.null(path)) harmsim_fail(usage)
  if (all_strata) {
    strata <- NULL
  } else if (is.null(strata)) {
    strata <- "all"
  }
  table <- if (totals) harmsim_totals(path, metrics, scenarios) else harmsim_load(path, metrics, strata, scenarios)
  table$value <- sprintf("%.17g", table$value) # every digit: write.csv would keep 15
  write.csv(table, file = out, row.names = FALSE, quote = which(names(table) %in% c("scenario", "metric", "stratum")))
  invisible(0)
}

# Run as a script (Rscript read_results.R ...), not when source()d.
if (sys.nframe() == 0L) {
  tryCatch(harmsim_read_results_main(commandArgs(trailingOnly = TRUE)),
           error = function(e) {
             message("read_results.R: error: ", conditionMessage(e))
             quit(status = 2)
           })
}
