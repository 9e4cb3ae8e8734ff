//! What a picture is drawn from: one run's requests and how each ended.
//!
//! Filled either live from the client's outcomes (`--plot`) or from a saved
//! `--json` file (`slow-client plot`); the plot never does I/O to get it.

use std::borrow::Cow;

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A complete response with this status (>= 400 counts as a failure).
    Response {
        /// The HTTP status code.
        status: u16,
    },
    /// No response: the error kind as the JSON `error` line names it (`timeout`, `reset`, ...).
    Error {
        /// The kind, e.g. `connect_refused`.
        kind: String,
    },
}

impl Outcome {
    /// A response with status < 400: the request honoured its delay.
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Response { status } if *status < 400)
    }

    /// For a failure, the legend's name for it (`timeout`, `status 404`); `None` when ok.
    pub fn failure_kind(&self) -> Option<Cow<'_, str>> {
        match self {
            Outcome::Response { status } if *status < 400 => None,
            Outcome::Response { status } => Some(Cow::Owned(format!("status {status}"))),
            Outcome::Error { kind } => Some(Cow::Borrowed(kind)),
        }
    }
}

/// One request of a run, as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The request's id (1-based, as in the output).
    pub id: u32,
    /// The delay the request asked for.
    pub delay_ms: u64,
    /// From the run's start to the request's last byte written; `None` when no
    /// byte was written or the source did not record it (an older file).
    pub sent_ms: Option<f64>,
    /// From the run's start to the answer's completion or the error; `None` when
    /// the source did not record it.
    pub done_ms: Option<f64>,
    /// From the last byte written to the answer's completion (the JSON line's
    /// `elapsed_ms`), for lateness when `sent_ms`/`done_ms` are missing.
    pub elapsed_ms: Option<f64>,
    /// How it ended.
    pub outcome: Outcome,
}

impl Record {
    /// `elapsed - delay` for an ok response, as the run's summary computes it
    /// (or `done - sent - delay` when `elapsed_ms` is missing); `None` for
    /// failures and when neither is known.
    pub fn lateness_ms(&self) -> Option<f64> {
        if !self.outcome.is_ok() {
            return None;
        }
        let took = match (self.elapsed_ms, self.sent_ms, self.done_ms) {
            (Some(elapsed), _, _) => elapsed,
            (None, Some(sent), Some(done)) => done - sent,
            _ => return None,
        };
        Some(took - self.delay_ms as f64)
    }
}

/// The run as a whole, from its summary line when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RunTotals {
    /// Requests the run made (more than the records when it was cut short).
    pub requested: u32,
    /// The run's wall time.
    pub wall_ms: Option<f64>,
    /// The run was interrupted (Ctrl-C or `--timeout`).
    pub interrupted: bool,
}

/// One run to draw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    /// The legend's name for the run (a file name, or `this run`).
    pub label: String,
    /// The command line that made it; empty when unknown.
    pub argv: Vec<String>,
    /// From the summary line; `None` when the run has none (a truncated file).
    pub totals: Option<RunTotals>,
    /// Every reported request, in the order they ended (the output's order).
    pub records: Vec<Record>,
}

impl Run {
    /// The command line as one shell-like string (arguments with spaces or
    /// quotes are single-quoted).
    ///
    /// The program is named without its directory (`slow-client`, not
    /// `/home/me/target/release/slow-client`).
    pub fn command_line(&self) -> String {
        let program = self.argv.first().map(|p| {
            let name = std::path::Path::new(p).file_name();
            name.map_or(p.as_str(), |n| n.to_str().unwrap_or(p))
        });
        let quoted: Vec<Cow<'_, str>> = program
            .into_iter()
            .chain(self.argv.iter().skip(1).map(String::as_str))
            .map(shell_quote)
            .collect();
        quoted.join(" ")
    }
}

fn shell_quote(arg: &str) -> Cow<'_, str> {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+{}".contains(&b));
    if plain {
        Cow::Borrowed(arg)
    } else {
        Cow::Owned(format!("'{}'", arg.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(outcome: Outcome) -> Record {
        Record {
            id: 1,
            delay_ms: 100,
            sent_ms: Some(2.0),
            done_ms: Some(103.5),
            elapsed_ms: Some(99.0),
            outcome,
        }
    }

    #[test]
    fn status_400_and_errors_are_failures_named_for_the_legend() {
        assert!(Outcome::Response { status: 302 }.is_ok());
        assert_eq!(Outcome::Response { status: 200 }.failure_kind(), None);
        let nope = Outcome::Response { status: 404 };
        assert!(!nope.is_ok());
        assert_eq!(nope.failure_kind().as_deref(), Some("status 404"));
        let kind = "timeout".to_owned();
        assert_eq!(
            Outcome::Error { kind }.failure_kind().as_deref(),
            Some("timeout")
        );
    }

    #[test]
    fn lateness_uses_elapsed_as_the_summary_does_and_falls_back_to_the_times() {
        let r = rec(Outcome::Response { status: 200 });
        assert_eq!(r.lateness_ms(), Some(-1.0));
        let no_elapsed = Record {
            elapsed_ms: None,
            ..r.clone()
        };
        assert_eq!(no_elapsed.lateness_ms(), Some(1.5));
        let none = Record {
            sent_ms: None,
            ..no_elapsed
        };
        assert_eq!(none.lateness_ms(), None);
    }

    #[test]
    fn failures_have_no_lateness() {
        assert_eq!(rec(Outcome::Response { status: 500 }).lateness_ms(), None);
        let kind = "reset".to_owned();
        assert_eq!(rec(Outcome::Error { kind }).lateness_ms(), None);
    }

    #[test]
    fn command_line_names_the_program_without_its_directory() {
        let run = Run {
            argv: ["/x/target/release/slow-client", "--count", "9"]
                .map(String::from)
                .to_vec(),
            ..Run::default()
        };
        assert_eq!(run.command_line(), "slow-client --count 9");
    }

    #[test]
    fn command_line_quotes_only_what_needs_it() {
        let run = Run {
            argv: ["slow-client", "--path", "/delay/{ms}", "--x", "a b", "it's"]
                .map(String::from)
                .to_vec(),
            ..Run::default()
        };
        assert_eq!(
            run.command_line(),
            r"slow-client --path /delay/{ms} --x 'a b' 'it'\''s'"
        );
    }
}
