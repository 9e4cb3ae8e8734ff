//! A saved `--json` run read back into a [`Run`]: text in, no I/O.
//!
//! Lines are read through [`crate::schema`]'s types, so any version of the
//! format reads (older files lack `sent_ms`, `done_ms` and `argv`; the picture
//! says what it cannot draw). A run without its summary line (killed, or
//! still running) is drawn as far as it goes; a line that is not a `--json`
//! line, a truncated last line, or a line after the summary is an error
//! naming its line.

use super::run::{Outcome, Record, Run, RunTotals};
use crate::schema::Line;
use thiserror::Error;

/// Why a file is not a `--json` run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct JsonlError {
    /// The 1-based line at fault.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// Reads the `--json` output `text` of one run, to be drawn as `label`.
///
/// # Errors
/// [`JsonlError`] for the first line that is not a `--json` line (including a
/// truncated last line and anything after the summary), or line 1 for a file
/// with no lines at all.
///
/// # Examples
/// ```
/// use slow_client::plot::run_from_jsonl;
/// let text = r#"{"event":"error","id":1,"delay_ms":0,"kind":"timeout","message":"late"}"#;
/// let run = run_from_jsonl("old.jsonl", text).unwrap();
/// assert_eq!(run.records.len(), 1);
/// assert!(run.totals.is_none()); // no summary: cut short
/// let err = run_from_jsonl("bad.jsonl", "{\"event\":\"resp").unwrap_err();
/// assert_eq!(err.line, 1);
/// ```
pub fn run_from_jsonl(label: &str, text: &str) -> Result<Run, JsonlError> {
    let mut run = Run {
        label: label.to_owned(),
        ..Run::default()
    };
    let mut last = 0;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        last = line;
        let err = |message: String| JsonlError { line, message };
        if run.totals.is_some() {
            return Err(err("a line after the summary line".to_owned()));
        }
        let parsed: Line = serde_json::from_str(raw).map_err(|e| {
            let what = if e.is_eof() {
                "truncated --json line"
            } else {
                "not a --json line"
            };
            err(format!("{what}: {e}"))
        })?;
        match parsed {
            Line::Response(r) => run.records.push(Record {
                id: r.id,
                delay_ms: r.delay_ms,
                sent_ms: r.sent_ms,
                done_ms: r.done_ms,
                elapsed_ms: Some(r.elapsed_ms),
                outcome: Outcome::Response { status: r.status },
            }),
            Line::Error(e) => run.records.push(Record {
                id: e.id,
                delay_ms: e.delay_ms,
                sent_ms: e.sent_ms,
                done_ms: e.done_ms,
                elapsed_ms: None,
                outcome: Outcome::Error { kind: e.kind },
            }),
            Line::Summary(s) => {
                run.argv = s.argv;
                run.totals = Some(RunTotals {
                    requested: s.requested,
                    wall_ms: Some(s.wall_ms),
                    interrupted: s.interrupted,
                });
            }
        }
    }
    if last == 0 {
        return Err(JsonlError {
            line: 1,
            message: "no --json lines: the file is empty".to_owned(),
        });
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = r#"{"event":"response","id":2,"delay_ms":0,"order":1,"elapsed_ms":1.5,"lateness_ms":1.5,"status":200,"reason":"OK","version":"1.1","body_bytes":24,"sent_ms":0.25,"done_ms":1.75}"#;
    const ERROR: &str = r#"{"event":"error","id":1,"delay_ms":1000,"kind":"timeout","message":"late","sent_ms":null,"done_ms":30000}"#;
    const SUMMARY: &str = r#"{"event":"summary","requested":2,"ok":1,"failed":1,"responses":1,"in_order":true,"inversions":0,"wall_ms":30000,"interrupted":false,"lateness_ms":{"p50":1.5,"p99":1.5,"max":1.5},"argv":["slow-client","--count","2"],"schema":2}"#;

    #[test]
    fn a_whole_run_reads_into_records_totals_and_argv() {
        let text = format!("{RESPONSE}\n{ERROR}\n{SUMMARY}\n");
        let run = run_from_jsonl("r", &text).unwrap();
        assert_eq!(run.argv, ["slow-client", "--count", "2"]);
        assert_eq!(
            run.totals,
            Some(RunTotals {
                requested: 2,
                wall_ms: Some(30000.0),
                interrupted: false
            })
        );
        assert_eq!(run.records[0].sent_ms, Some(0.25));
        assert_eq!(run.records[0].done_ms, Some(1.75));
        assert_eq!(run.records[1].sent_ms, None);
        assert_eq!(
            run.records[1].outcome,
            Outcome::Error {
                kind: "timeout".into()
            }
        );
    }

    #[test]
    fn a_run_without_its_summary_is_read_as_cut_short() {
        let run = run_from_jsonl("r", &format!("{RESPONSE}\n")).unwrap();
        assert_eq!(run.records.len(), 1);
        assert_eq!(run.totals, None);
    }

    #[test]
    fn an_older_line_without_times_reads_with_none() {
        let old = r#"{"event":"response","id":1,"delay_ms":0,"order":1,"elapsed_ms":1,"lateness_ms":1,"status":200,"reason":"OK","version":"1.1","body_bytes":2}"#;
        let run = run_from_jsonl("r", old).unwrap();
        assert_eq!(
            (run.records[0].sent_ms, run.records[0].done_ms),
            (None, None)
        );
        assert_eq!(run.records[0].elapsed_ms, Some(1.0));
    }

    #[test]
    fn a_truncated_last_line_is_an_error_naming_it() {
        let cut = &SUMMARY[..40];
        let err = run_from_jsonl("r", &format!("{RESPONSE}\n\n{cut}")).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.starts_with("truncated"), "{err}");
    }

    #[test]
    fn a_foreign_line_is_an_error_naming_it() {
        let err = run_from_jsonl("r", &format!("{RESPONSE}\nRECEIVED: id 1\n")).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.to_string().starts_with("line 2: not a --json line"),
            "{err}"
        );
    }

    #[test]
    fn a_line_after_the_summary_is_an_error() {
        let text = format!("{SUMMARY}\n{RESPONSE}\n");
        assert_eq!(run_from_jsonl("r", &text).unwrap_err().line, 2);
    }

    #[test]
    fn an_empty_file_is_an_error() {
        assert_eq!(run_from_jsonl("r", "\n \n").unwrap_err().line, 1);
    }
}
