//! A saved `--json` run read back into a [`Run`]: text in, no I/O.
//!
//! Lines are read through [`crate::schema`]'s types, so any version of the
//! format reads (older files lack `sent_ms`, `done_ms` and `argv`; the picture
//! says what it cannot draw). A run without its summary line (killed, or
//! still running) is drawn as far as it goes; a line that is not a `--json`
//! line, a truncated last line, or a line after the summary is an error
//! naming its line. A line of a kind this version does not know (a newer
//! `"event"`) is skipped, as unknown members are; a leading byte order mark
//! is ignored.

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
    // A UTF-8 byte order mark (some Windows editors write one) is not part of line 1.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
        let parsed: Line<'_> = match serde_json::from_str(raw) {
            Ok(parsed) => parsed,
            // A kind of line a newer version added: skipped, like an unknown member.
            Err(_) if is_unknown_event(raw) => continue,
            Err(e) => {
                let what = if e.is_eof() {
                    "truncated --json line"
                } else {
                    "not a --json line"
                };
                return Err(err(format!("{what}: {e}")));
            }
        };
        if run.totals.is_some() {
            return Err(err("a line after the summary line".to_owned()));
        }
        match parsed {
            Line::Response(r) => {
                let elapsed_ms = known(r.elapsed_ms);
                check_times(&[r.sent_ms, r.done_ms, elapsed_ms]).map_err(err)?;
                run.records.push(Record {
                    id: r.id,
                    delay_ms: r.delay_ms,
                    sent_ms: r.sent_ms,
                    done_ms: r.done_ms,
                    elapsed_ms,
                    outcome: Outcome::Response { status: r.status },
                });
            }
            Line::Error(e) => {
                check_times(&[e.sent_ms, e.done_ms]).map_err(err)?;
                run.records.push(Record {
                    id: e.id,
                    delay_ms: e.delay_ms,
                    sent_ms: e.sent_ms,
                    done_ms: e.done_ms,
                    elapsed_ms: None,
                    outcome: Outcome::Error {
                        kind: e.kind.into_owned(),
                    },
                });
            }
            Line::Summary(s) => {
                let wall_ms = known(s.wall_ms);
                check_times(&[wall_ms]).map_err(err)?;
                run.argv = s.argv;
                run.totals = Some(RunTotals {
                    requested: s.requested,
                    wall_ms,
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

/// [`run_from_jsonl`] for a file's bytes, which must be UTF-8 (a byte order
/// mark is allowed).
///
/// # Errors
/// [`JsonlError`] naming the line of the first byte that is not UTF-8, or as
/// [`run_from_jsonl`].
pub fn run_from_jsonl_bytes(label: &str, bytes: &[u8]) -> Result<Run, JsonlError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => run_from_jsonl(label, text),
        Err(e) => {
            let at = e.valid_up_to();
            Err(JsonlError {
                line: bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1,
                message: format!("not UTF-8 text (byte {at} of the file)"),
            })
        }
    }
}

/// A JSON object whose `"event"` is a string none of [`Line`]'s kinds has.
fn is_unknown_event(raw: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Event {
        event: String,
    }
    serde_json::from_str::<Event>(raw)
        .is_ok_and(|e| !matches!(e.event.as_str(), "response" | "error" | "summary"))
}

/// A time the line had: `None` for NaN, which is how [`crate::schema`] reads a
/// `null` (a time the writer could not measure).
fn known(ms: f64) -> Option<f64> {
    (!ms.is_nan()).then_some(ms)
}

/// The largest time, in milliseconds (about 31 years), a drawable run can hold.
const MAX_TIME_MS: f64 = 1e12;

/// Refuses a time no run can have: not finite, or beyond [`MAX_TIME_MS`]
/// either way (a picture of it would have no readable axis).
fn check_times(times: &[Option<f64>]) -> Result<(), String> {
    match times
        .iter()
        .flatten()
        .find(|t| !(t.is_finite() && t.abs() <= MAX_TIME_MS))
    {
        Some(t) => Err(format!(
            "a time of {t} ms is not a time a run can have (at most {MAX_TIME_MS:e} ms either way)"
        )),
        None => Ok(()),
    }
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
    fn absurd_times_are_errors_naming_their_line() {
        for (line, bad) in [
            (
                RESPONSE,
                RESPONSE.replace("\"done_ms\":1.75", "\"done_ms\":1.7e308"),
            ),
            (
                RESPONSE,
                RESPONSE.replace("\"elapsed_ms\":1.5", "\"elapsed_ms\":1.7e308"),
            ),
            (
                RESPONSE,
                RESPONSE.replace("\"sent_ms\":0.25", "\"sent_ms\":-2e12"),
            ),
            (
                ERROR,
                ERROR.replace("\"done_ms\":30000", "\"done_ms\":1e13"),
            ),
            (
                SUMMARY,
                SUMMARY.replace("\"wall_ms\":30000", "\"wall_ms\":1.7e308"),
            ),
        ] {
            assert_ne!(line, bad, "the test's replacement must change the line");
            let err = run_from_jsonl("r", &format!("{RESPONSE}\n{bad}\n")).unwrap_err();
            assert_eq!(err.line, 2, "{bad}: {err}");
            assert!(err.message.contains("not a time"), "{err}");
        }
    }

    #[test]
    fn a_huge_time_is_refused_before_it_reaches_the_renderer() {
        let bad = RESPONSE.replace("\"done_ms\":1.75", "\"done_ms\":1.7e308");
        assert!(run_from_jsonl("r", &bad).is_err());
        // And the renderer itself survives such a run, had one been built.
        let mut run = run_from_jsonl("r", RESPONSE).unwrap();
        run.records[0].done_ms = Some(f64::MAX);
        run.records[0].elapsed_ms = Some(f64::MAX);
        let svg = crate::plot::svg(&[run]);
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    }

    #[test]
    fn a_null_time_is_read_as_unknown() {
        let line = RESPONSE.replace("\"elapsed_ms\":1.5", "\"elapsed_ms\":null");
        let summary = SUMMARY.replace("\"wall_ms\":30000", "\"wall_ms\":null");
        let run = run_from_jsonl("r", &format!("{line}\n{summary}\n")).unwrap();
        assert_eq!(run.records[0].elapsed_ms, None);
        assert_eq!(run.totals.unwrap().wall_ms, None);
    }

    #[test]
    fn unknown_event_kinds_are_skipped_anywhere() {
        let future = r#"{"event":"progress","answered":1}"#;
        let text = format!("{future}\n{RESPONSE}\n{future}\n{SUMMARY}\n{future}\n");
        let run = run_from_jsonl("r", &text).unwrap();
        assert_eq!(run.records.len(), 1);
        assert!(run.totals.is_some());
        // A known kind that does not parse is still an error.
        let broken = r#"{"event":"response","id":"x"}"#;
        assert_eq!(run_from_jsonl("r", broken).unwrap_err().line, 1);
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_line_one() {
        let run = run_from_jsonl("r", &format!("\u{feff}{RESPONSE}\n")).unwrap();
        assert_eq!(run.records.len(), 1);
        let bytes = format!("\u{feff}{RESPONSE}\n").into_bytes();
        assert!(run_from_jsonl_bytes("r", &bytes).is_ok());
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_its_line() {
        let mut bytes = format!("{RESPONSE}\n{RESPONSE}\n").into_bytes();
        bytes.extend_from_slice(b"{\"event\":\"error\",\"kind\":\"\xff\"}\n");
        let err = run_from_jsonl_bytes("r", &bytes).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("not UTF-8"), "{err}");
    }

    #[test]
    fn an_empty_file_is_an_error() {
        assert_eq!(run_from_jsonl("r", "\n \n").unwrap_err().line, 1);
    }
}
