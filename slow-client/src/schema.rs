//! The `--json` output format: one JSON object per line, one type per kind of line.
//!
//! A run prints one [`Line::Response`] or [`Line::Error`] per request, in the
//! order the requests ended, then one [`Line::Summary`]. Every line names its
//! kind in its first member, `"event"`: `"response"`, `"error"` or `"summary"`.
//! The same types write the lines ([`crate::report`]) and read them back
//! (`cargo xtask`, tests), so the format is defined here and nowhere else.
//!
//! Readers ignore what they do not know: unknown members, and whole lines
//! whose `"event"` is a kind they do not know (`slow-client plot` skips them),
//! so a newer version may add both without raising `schema`.
//!
//! Numbers: times are milliseconds, rounded to the microsecond (3 decimals),
//! and a whole number prints without a fraction (`4003`, not `4003.0`); a time
//! that is not finite prints as `null` (and reads back as NaN). Counts and ids are integers.
//!
//! # Versions
//!
//! The summary's `schema` member names the format's version; it is raised
//! whenever a member changes meaning (adding one does not change it). A file
//! without it is version 1.
//!
//! - **1**: the first format (no `schema` member). `lateness_ms`, `in_order`
//!   and `inversions` of the summary are over every complete response.
//! - **2** ([`SCHEMA`]): the summary's `lateness_ms`, `in_order` and
//!   `inversions` are over successful responses only (status below 400): a
//!   fast 404 did not honour its delay. Added: `sent_ms` and `done_ms` on
//!   `response` and `error` lines; `argv`, `schema` and the order analysis'
//!   `unexplained_inversions` (of those `inversions`), `write_window_ms` and
//!   `max_stall_ms` on the summary. Later added (0.3.0, same schema): the
//!   summary's `early` and `order_broken_by_writing`.
//!
//! To add a member, add a field to the struct (with `#[serde(serialize_with =
//! "ms")]` for a time, and `#[serde(default)]` if older output lacks it) and
//! fill it where [`crate::report`] builds the line.

use crate::decimal::Thousandths;
use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The line format's version, written as the summary's `schema` member.
pub const SCHEMA: u32 = 2;

/// The version a file without a `schema` member has.
fn schema_v1() -> u32 {
    1
}

/// One line of `--json` output, tagged by its `"event"` member.
///
/// Its text members are [`Cow`]s so that writing a line borrows them from
/// the response or error it describes (no copy per line); reading one back
/// always owns them (`Line<'static>` reads from any input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Line<'a> {
    /// A request answered with a complete response (any status).
    Response(ResponseLine<'a>),
    /// A request that ended without a complete response.
    Error(ErrorLine<'a>),
    /// The run's summary: always the last line.
    Summary(SummaryLine),
}

/// `"event":"response"`: a complete response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseLine<'a> {
    /// The request's id, 1 to `requested`; request 1 asks for the longest delay.
    pub id: u32,
    /// The delay the request asked the server for.
    pub delay_ms: u64,
    /// 1 for the first response to arrive, 2 for the next, and so on.
    pub order: u64,
    /// From the request's last byte written to the response's last byte read.
    #[serde(serialize_with = "ms", deserialize_with = "de_ms")]
    pub elapsed_ms: f64,
    /// `elapsed_ms - delay_ms`: how late the answer was (negative when early).
    #[serde(serialize_with = "ms", deserialize_with = "de_ms")]
    pub lateness_ms: f64,
    /// The final status code (informational 1xx heads are skipped).
    pub status: u16,
    /// The reason phrase, as the server sent it (empty if it sent none).
    pub reason: Cow<'a, str>,
    /// The response's HTTP version: `"1.0"` or `"1.1"`.
    pub version: Cow<'a, str>,
    /// Payload bytes in the body (after removing chunked framing).
    pub body_bytes: u64,
    /// From the run's start to the request's last byte written (just after
    /// the `send(2)` that completed it). Absent before schema 2.
    #[serde(default, serialize_with = "opt_ms")]
    pub sent_ms: Option<f64>,
    /// From the run's start to the response's last byte read. Absent before schema 2.
    #[serde(default, serialize_with = "opt_ms")]
    pub done_ms: Option<f64>,
}

impl ResponseLine<'_> {
    /// Appends the line's JSON (without the newline) to `out`: the bytes
    /// `serde_json::to_writer(out, &Line::Response(self.clone()))` writes,
    /// each value written by serde_json itself except the times (digits
    /// written directly, the same text), and the member names as constants
    /// rather than escaped one by one. One is written per
    /// response, so this is the hot path; a unit test pins it to the
    /// derived format for every member.
    ///
    /// # Errors
    /// Never for a `Vec`; serde_json's error for a value otherwise.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        fn value(out: &mut Vec<u8>, name: &[u8], v: impl Serialize) -> serde_json::Result<()> {
            out.extend_from_slice(name);
            v.serialize(&mut serde_json::Serializer::new(out))
        }
        fn time(out: &mut Vec<u8>, name: &[u8], v: Option<f64>) -> serde_json::Result<()> {
            out.extend_from_slice(name);
            match v {
                Some(v) if write_ms_fast(out, v) => Ok(()),
                _ => opt_ms(&v, &mut serde_json::Serializer::new(out)),
            }
        }
        value(out, br#"{"event":"response","id":"#, self.id)?;
        value(out, br#","delay_ms":"#, self.delay_ms)?;
        value(out, br#","order":"#, self.order)?;
        time(out, br#","elapsed_ms":"#, Some(self.elapsed_ms))?;
        time(out, br#","lateness_ms":"#, Some(self.lateness_ms))?;
        value(out, br#","status":"#, self.status)?;
        value(out, br#","reason":"#, &*self.reason)?;
        value(out, br#","version":"#, &*self.version)?;
        value(out, br#","body_bytes":"#, self.body_bytes)?;
        time(out, br#","sent_ms":"#, self.sent_ms)?;
        time(out, br#","done_ms":"#, self.done_ms)?;
        out.push(b'}');
        Ok(())
    }
}

/// `"event":"error"`: a request that ended without a complete response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorLine<'a> {
    /// The request's id.
    pub id: u32,
    /// The delay the request asked the server for.
    pub delay_ms: u64,
    /// What went wrong, as a stable snake_case name (`connect_refused`,
    /// `timeout`, `truncated_body`, ...; the README lists them all).
    pub kind: Cow<'a, str>,
    /// The details, for a person: not stable, do not match on it.
    pub message: Cow<'a, str>,
    /// From the run's start to the request's last byte written; `null` when
    /// the error came before the whole request was written. Absent before schema 2.
    #[serde(default, serialize_with = "opt_ms")]
    pub sent_ms: Option<f64>,
    /// From the run's start to the error. Absent before schema 2.
    #[serde(default, serialize_with = "opt_ms")]
    pub done_ms: Option<f64>,
}

/// `"event":"summary"`: the run as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryLine {
    /// Requests made.
    pub requested: u32,
    /// Complete responses with a status below 400.
    pub ok: u32,
    /// Everything else: errors and statuses of 400 and above (`ok + failed == requested`).
    pub failed: u32,
    /// Complete responses of any status.
    pub responses: u64,
    /// The delays of the successful responses (status below 400) never
    /// decrease in arrival order (`inversions == 0`).
    pub in_order: bool,
    /// Adjacent pairs of successful responses, in arrival order, whose delays decrease.
    pub inversions: u32,
    /// The whole run, from start to the last request ending.
    #[serde(serialize_with = "ms", deserialize_with = "de_ms")]
    pub wall_ms: f64,
    /// A signal stopped the run; the open requests ended as `interrupted`.
    pub interrupted: bool,
    /// User CPU time of the whole process; absent when it could not be read.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_ms"
    )]
    pub cpu_user_ms: Option<f64>,
    /// Kernel CPU time of the whole process; absent when it could not be read.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "opt_ms"
    )]
    pub cpu_sys_ms: Option<f64>,
    /// Peak resident set size of the process (`VmHWM`), in KiB; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rss_kib: Option<u64>,
    /// Lateness percentiles over successful responses (status below 400);
    /// `null` when there were none.
    pub lateness_ms: Option<Lateness>,
    /// The command line, program name first. Absent before schema 2.
    #[serde(default)]
    pub argv: Vec<String>,
    /// The line format's version ([`SCHEMA`]); 1 when absent.
    #[serde(default = "schema_v1")]
    pub schema: u32,
    /// Those of the `inversions` that no arrival inside the requests' send
    /// windows explains: the longer-delayed request was due more than 0.5 ms
    /// after the other even at the latest (see `slow_client::order`). A stall
    /// while writing explains an inversion; a late read does not.
    /// Absent before schema 2 (read as 0).
    #[serde(default)]
    pub unexplained_inversions: u32,
    /// From the first request written to the last (the start of the first
    /// send window to the end of the last); `null` when none was written. Absent before schema 2.
    #[serde(default, serialize_with = "opt_ms")]
    pub write_window_ms: Option<f64>,
    /// The longest the client's event loop went without running while it had
    /// work: between two loop turns when it did not choose to wait, or
    /// between two requests written; absent before schema 2.
    #[serde(default, serialize_with = "opt_ms")]
    pub max_stall_ms: Option<f64>,
    /// Successful answers (status below 400) that completed before their
    /// delay could have passed, even counted from just before the request's
    /// send (0.5 ms tolerance): the server did not honour the delay. They are
    /// counted in `ok`, and left out of `in_order`, `inversions` and
    /// `lateness_ms`. Absent before 0.3.0 (read as 0).
    #[serde(default)]
    pub early: u32,
    /// More than one successful answer in 10, and at least 10, arrived
    /// inverted behind a stall of the client's own writing (explained
    /// inversions, see `unexplained_inversions`): the run did not show the
    /// delays' order, and exits 1. Absent before 0.3.0 (read as false).
    #[serde(default)]
    pub order_broken_by_writing: bool,
}

/// The summary's `lateness_ms`: nearest-rank percentiles of `lateness_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lateness {
    /// Median.
    #[serde(serialize_with = "ms", deserialize_with = "de_ms")]
    pub p50: f64,
    /// 99th percentile.
    #[serde(serialize_with = "ms", deserialize_with = "de_ms")]
    pub p99: f64,
    /// The latest answer's lateness.
    #[serde(serialize_with = "ms", deserialize_with = "de_ms")]
    pub max: f64,
}

/// Whole numbers this far from zero print as integers; beyond, `f64` has no fraction anyway.
const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0; // 2^53

/// Writes milliseconds rounded to 3 decimals; whole values without a
/// fraction; `null` when not finite.
fn ms<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
    if !value.is_finite() {
        return s.serialize_none();
    }
    let rounded = round_ms(*value);
    if rounded.fract() == 0.0 && rounded.abs() < EXACT_INTEGER {
        s.serialize_i64(rounded as i64)
    } else {
        s.serialize_f64(rounded)
    }
}

/// Reads what [`ms`] writes: a number, or `null` (a time that was not finite) as NaN.
fn de_ms<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Milliseconds rounded to the microsecond, as the lines print them.
pub fn round_ms(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Microseconds this far from zero print through [`write_ms_fast`]: their
/// decimal `k / 1000` has at most 15 significant digits, so it is the
/// shortest text that reads back as the rounded `f64`, which is what
/// serde_json prints for it.
const FAST_MICROS: f64 = 1e15;

/// Appends what [`ms`] writes for `value`, without serde: the whole
/// milliseconds, then up to three decimals without trailing zeros. Returns
/// `false` (writing nothing) for a value it leaves to [`ms`]: not finite, or
/// `FAST_MICROS` microseconds or more from zero. A `--json` line carries four
/// times, so this is most of the line's cost; a property test pins it to [`ms`].
fn write_ms_fast(out: &mut Vec<u8>, value: f64) -> bool {
    let micros = (value * 1000.0).round();
    if !micros.is_finite() || micros.abs() >= FAST_MICROS {
        return false;
    }
    let micros = micros as i64;
    if micros < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(Thousandths::new(micros.unsigned_abs()).as_bytes());
    true
}

/// [`ms`] for a member that may be absent.
fn opt_ms<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => ms(v, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests;
