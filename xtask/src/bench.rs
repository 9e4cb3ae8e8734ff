//! `cargo xtask bench`: benchmarks of epoll-safe against the raw calls.
//!
//! Not written yet; issue 5 specifies it. Until then the task fails loudly
//! instead of pretending to measure anything.

use crate::steps::Outcome;

/// Runs the benchmarks.
///
/// # Errors
///
/// Always, for now: the benchmarks are specified in issue 5 and not yet implemented.
pub fn bench() -> Outcome {
    Err("bench is not yet implemented, see issue 5".to_string())
}
