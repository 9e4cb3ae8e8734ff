//! The drawer's choices and cadence, without a terminal.

use super::*;
use std::sync::{Arc, Mutex};

/// A `Write` the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

const COUNTS: Counters = Counters {
    requested: 9000,
    answered: 10,
    failed: 1,
    in_flight: 100,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn auto_shows_on_a_terminal_for_runs_of_at_least_100() {
    assert_eq!(mode(Show::Auto, true, 100, ms(99)), Mode::Terminal);
    assert_eq!(mode(Show::Auto, true, 99, ms(98)), Mode::Off);
    assert_eq!(mode(Show::Auto, false, 9000, ms(9000)), Mode::Off);
}

#[test]
fn auto_shows_on_a_terminal_for_runs_expected_to_last_10_s_whatever_their_size() {
    assert_eq!(mode(Show::Auto, true, 3, ms(10_000)), Mode::Terminal);
    assert_eq!(mode(Show::Auto, true, 3, ms(9_999)), Mode::Off);
    assert_eq!(mode(Show::Auto, false, 3, ms(200_000_000)), Mode::Off);
}

#[test]
fn forced_progress_is_plain_off_a_terminal_and_never_means_never() {
    assert_eq!(mode(Show::Always, false, 5, ms(4)), Mode::Plain);
    assert_eq!(mode(Show::Always, true, 5, ms(4)), Mode::Terminal);
    assert_eq!(mode(Show::Never, true, 9000, ms(20_000)), Mode::Off);
}

#[test]
fn cadence_is_due_at_most_once_per_interval() {
    let t0 = Instant::now();
    let mut c = Cadence::new(t0, ms(100));
    assert!(c.due(t0));
    assert!(!c.due(t0 + ms(50)));
    assert!(!c.due(t0 + ms(99)));
    assert!(c.due(t0 + ms(100)));
    // After a long stall it is due once, not once per missed interval.
    assert!(c.due(t0 + ms(1000)));
    assert!(!c.due(t0 + ms(1001)));
}

#[test]
fn terminal_line_is_redrawn_only_when_due() {
    let t0 = Instant::now();
    let out = Shared::default();
    let mut p = ProgressLine::with_outputs(
        Mode::Terminal,
        t0,
        ms(9000),
        ProgressDrawTarget::hidden(),
        Box::new(out.clone()),
    );
    let mut late = LatenessHistogram::new();
    late.record(0.25);
    assert!(p.tick(&COUNTS, &late, t0 + ms(1)));
    let first = p.bar.message();
    // 250 µs falls in the 248..=255 µs bucket, read back as its upper edge.
    assert!(
        first.starts_with("0.0/9.0 s · lateness p99 0.26 ms · 10 answered"),
        "{first}"
    );
    let more = Counters {
        answered: 20,
        ..COUNTS
    };
    assert!(!p.tick(&more, &late, t0 + ms(50)));
    assert_eq!(p.bar.message(), first, "not due: unchanged");
    assert!(p.tick(&more, &late, t0 + ms(101)));
    assert!(p.bar.message().contains("20 answered"));
    assert_eq!(out.text(), "", "a terminal line writes no plain lines");
    assert_eq!(p.next_redraw(), Some(t0 + ms(201)), "the loop wakes for it");
}

#[test]
fn plain_lines_come_at_most_once_a_second() {
    let t0 = Instant::now();
    let out = Shared::default();
    let mut p = ProgressLine::with_outputs(
        Mode::Plain,
        t0,
        ms(9000),
        ProgressDrawTarget::hidden(),
        Box::new(out.clone()),
    );
    let late = LatenessHistogram::new();
    let drawn: Vec<bool> = [0, 500, 999, 1000, 1500, 2000, 2001]
        .iter()
        .map(|&t| p.tick(&COUNTS, &late, t0 + ms(t)))
        .collect();
    assert_eq!(drawn, [false, false, false, true, false, true, false]);
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("1.0/9.0 s"), "{text}");
    assert!(lines[1].starts_with("2.0/9.0 s"), "{text}");
}

#[test]
fn off_draws_nothing() {
    let t0 = Instant::now();
    let out = Shared::default();
    let mut p = ProgressLine::with_outputs(
        Mode::Off,
        t0,
        ms(9000),
        ProgressDrawTarget::hidden(),
        Box::new(out.clone()),
    );
    assert!(!p.tick(&COUNTS, &LatenessHistogram::new(), t0 + ms(5000)));
    assert_eq!(p.next_redraw(), None, "nothing to wake the loop for");
    assert_eq!(p.suspend(|| 7), 7);
    p.finish();
    assert_eq!(out.text(), "");
}

#[test]
fn finishing_clears_the_bar() {
    let t0 = Instant::now();
    let p = ProgressLine::with_outputs(
        Mode::Terminal,
        t0,
        ms(9000),
        ProgressDrawTarget::hidden(),
        Box::new(io::sink()),
    );
    let bar = p.bar.clone();
    drop(p);
    assert!(bar.is_finished());
}
