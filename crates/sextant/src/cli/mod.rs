//! Argument parsing, dispatch, and the one-line error contract of the `sextant` command.

mod commands;
mod demo;
mod plot;
mod serve;
mod sync;
mod table;
mod tokens;
mod traces;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sextant::{ExperimentTracker, DEFAULT_STORE};

/// Inspect, export and import Sextant / luml experiments.
#[derive(Debug, Parser)]
#[command(name = "sextant", version)]
struct Cli {
    /// Store to use: sqlite://DIR, postgres://…, http://HOST:PORT or memory://
    #[arg(long, global = true, env = "SEXTANT_STORE", default_value = DEFAULT_STORE, value_name = "CONNECTION")]
    store: String,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List experiments, newest first.
    Ls {
        /// Keep the runs this search filter matches, e.g.
        /// "metrics.val_acc > 0.9 and params.optimizer = 'adamw'" (see docs/search.md).
        #[arg(long, value_name = "FILTER", default_value = "")]
        filter: String,
        /// Sort by these keys, e.g. "metrics.val_acc DESC, attributes.created_at".
        #[arg(long, value_name = "KEYS", default_value = "")]
        order_by: String,
    },
    /// Show one experiment: params, latest metrics, attachments, traces, models.
    Show {
        /// Experiment id (a unique prefix is enough).
        id: String,
    },
    /// Print a metric's points.
    Metrics {
        /// Experiment id (a unique prefix is enough).
        id: String,
        /// Metric key, e.g. train/loss.
        key: String,
        /// Downsample to at most this many points, keeping each bucket's extremes.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        max_points: Option<u32>,
    },
    /// Write an experiment as a luml-compatible snapshot tar.
    Export {
        /// Experiment id (a unique prefix is enough).
        id: String,
        /// Output file.
        file: PathBuf,
    },
    /// Bring a snapshot tar into the store (prints the experiment id), or a whole MLflow
    /// store: `mlflow+sqlite:///path/mlflow.db[?artifacts=DIR]` (see docs/mlflow.md).
    Import {
        /// Snapshot file written by `sextant export` or luml, or an mlflow+sqlite:// source.
        file: PathBuf,
    },
    /// Delete an experiment and everything logged to it.
    Rm {
        /// Experiment id (a unique prefix is enough).
        id: String,
    },
    /// Log a realistic demo run into the store; prints only its id.
    Demo,
    /// List an experiment's traces.
    Traces {
        /// Experiment id (a unique prefix is enough).
        id: String,
    },
    /// Print one trace as an indented tree of spans with durations.
    Trace {
        /// Experiment id (a unique prefix is enough).
        id: String,
        /// Trace id (32 hex digits; a unique prefix is enough).
        trace_id: String,
    },
    /// Serve the dashboard and the JSON API over the store.
    Ui {
        #[command(flatten)]
        server: serve::ServerArgs,
        /// Open the dashboard in a browser.
        #[arg(long)]
        open: bool,
    },
    /// Serve the JSON API (and dashboard) for trainers logging over http:// from other
    /// processes or machines.
    Serve {
        #[command(flatten)]
        server: serve::ServerArgs,
    },
    /// Copy experiments from one store to another (any two: sqlite://, http://,
    /// postgres://…). Sends only what the target lacks, so re-running is cheap and an
    /// interrupted sync continues where it stopped.
    Sync {
        /// Source store.
        #[arg(long, value_name = "CONNECTION")]
        from: String,
        /// Target store.
        #[arg(long, value_name = "CONNECTION")]
        to: String,
        /// Only this experiment (full id).
        #[arg(long, value_name = "ID")]
        experiment: Option<String>,
        /// Keep syncing (for runs still training) until interrupted.
        #[arg(long)]
        watch: bool,
        /// Seconds between passes with --watch.
        #[arg(long, default_value_t = 2.0, value_name = "SECS")]
        interval: f64,
    },
    /// Manage the access tokens a server over this store accepts (named, with a role).
    Token {
        #[command(subcommand)]
        command: tokens::TokenCommand,
    },
}

/// Everything that can stop a command. Each renders as one line.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error(transparent)]
    Sextant(#[from] sextant::Error),
    #[error("experiment id prefix {prefix:?} is ambiguous: it matches {matches}")]
    AmbiguousId { prefix: String, matches: String },
    #[error("metric {key:?} not found in experiment {id:?} (its metrics: {available})")]
    MetricNotFound {
        id: String,
        key: String,
        available: String,
    },
    #[error("cannot render the demo plot: {0}")]
    Plot(String),
    #[error("cannot encode JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
    #[error(
        "trace id prefix {prefix:?} matches {count} traces in this experiment; give more digits"
    )]
    AmbiguousTrace { prefix: String, count: usize },
    #[error("cannot serve on {addr}: {source}")]
    Serve { addr: String, source: io::Error },
}

pub(crate) type CliResult<T = ()> = Result<T, CliError>;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap's report spans several lines (message, tips, usage); the contract is one.
            let text = e.render().to_string();
            let message: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
                .collect();
            eprintln!("{} (see 'sextant --help')", message.join(" "));
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version: clap prints them to stdout.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`sextant metrics … | head`) is not a failure.
        Err(CliError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let message = e.to_string().replace('\n', " ");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> CliResult {
    if let Command::Sync {
        from,
        to,
        experiment,
        watch,
        interval,
    } = &cli.command
    {
        return sync::run(from, to, experiment.as_deref(), *watch, *interval, cli.json);
    }
    let tracker = ExperimentTracker::new(&cli.store)?;
    let out = &mut io::stdout().lock();
    let json = cli.json;
    match cli.command {
        Command::Ls { filter, order_by } => commands::ls(&tracker, &filter, &order_by, json, out),
        Command::Show { id } => commands::show(&tracker, &id, json, out),
        Command::Metrics {
            id,
            key,
            max_points,
        } => commands::metrics(&tracker, &id, &key, max_points, json, out),
        Command::Export { id, file } => commands::export(&tracker, &id, &file, json, out),
        Command::Import { file } => commands::import(&tracker, &file, json, out),
        Command::Rm { id } => commands::rm(&tracker, &id, json, out),
        Command::Demo => {
            let id = demo::run(&tracker)?;
            writeln!(out, "{id}")?;
            Ok(())
        }
        Command::Traces { id } => traces::list(&tracker, &id, json, out),
        Command::Trace { id, trace_id } => traces::tree(&tracker, &id, &trace_id, json, out),
        Command::Ui { server, open } => serve::run(&tracker, &server, open),
        Command::Serve { server } => serve::run(&tracker, &server, false),
        Command::Sync { .. } => Ok(()),
        Command::Token { command } => tokens::run(&tracker, command, json, out),
    }?;
    out.flush()?;
    Ok(())
}
