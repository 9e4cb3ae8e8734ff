//! A logarithmic scale for lateness: 0.1 ms and a 7.8 s stall on one axis.
//!
//! Lateness spans decades (a healthy answer is a tenth of a millisecond late,
//! a stall's victims seconds), so a linear axis shows either the stall or
//! everything else. Whole decades get ticks (`100 µs`, `1 ms`, `10 ms`, ...).
//! Values at or below zero (an answer before its delay: a server that did
//! not honour it) have no logarithm: they sit in a band below the lowest
//! decade, labelled `≤ 0`.

use super::scale::Tick;

/// The most decades an axis spans: 1 µs to 100,000 s is 11.
const MAX_DECADES: i32 = 11;
/// The band below the lowest decade for values at or below zero, in pixels.
pub const FLOOR_BAND_PX: f64 = 14.0;

/// Maps positive milliseconds onto pixels by their logarithm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogScale {
    /// `10^lo` ms is drawn at `from` (or just above the floor band).
    pub lo: i32,
    /// `10^hi` ms is drawn at `to`.
    pub hi: i32,
    /// Pixel position of the bottom (the floor band's, when there is one).
    pub from: f64,
    /// Pixel position of `10^hi`.
    pub to: f64,
    /// Values at or below zero exist and get the band below `10^lo`.
    pub floor: bool,
}

impl LogScale {
    /// A scale over whole decades covering the positive `values` (ms), with
    /// a floor band when any is at or below zero; 0.01 ms to 1 ms when there
    /// are no positive values. Non-finite values are ignored.
    pub fn covering(values: impl IntoIterator<Item = f64>, from: f64, to: f64) -> Self {
        let (mut min, mut max, mut floor) = (f64::INFINITY, 0.0f64, false);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            if v <= 0.0 {
                floor = true;
            } else {
                min = min.min(v);
                max = max.max(v);
            }
        }
        let (lo, hi) = if max > 0.0 {
            let lo = min.log10().floor() as i32;
            let hi = (max.log10().ceil() as i32).max(lo + 1);
            // Keep the top (the story is the tail) when the range is too wide.
            (lo.max(hi - MAX_DECADES), hi)
        } else {
            (-2, 0)
        };
        Self {
            lo,
            hi,
            from,
            to,
            floor,
        }
    }

    /// Where the lowest decade sits: above the floor band when there is one.
    fn base(&self) -> f64 {
        let dir = (self.to - self.from).signum();
        if self.floor {
            self.from + dir * FLOOR_BAND_PX
        } else {
            self.from
        }
    }

    /// The pixel position of `v` ms: values at or below zero at the very
    /// bottom, values below `10^lo` at the lowest decade, above `10^hi` at
    /// the top.
    pub fn px(&self, v: f64) -> f64 {
        if v <= 0.0 || v.is_nan() {
            return self.from;
        }
        let d = (v.log10() - f64::from(self.lo)) / f64::from(self.hi - self.lo);
        let base = self.base();
        base + d.clamp(0.0, 1.0) * (self.to - base)
    }

    /// One tick per decade (`1 ms`, `10 ms`, ...), and `≤ 0` at the floor band.
    pub fn ticks(&self) -> Vec<Tick> {
        let mut ticks: Vec<Tick> = (self.lo..=self.hi)
            .map(|e| Tick {
                px: self.px(10f64.powi(e)),
                label: fmt_decade(e),
            })
            .collect();
        if self.floor {
            ticks.insert(
                0,
                Tick {
                    px: self.from,
                    label: "≤ 0".to_owned(),
                },
            );
        }
        ticks
    }
}

/// `10^e` milliseconds as a label: `1 µs`, `100 µs`, `1 ms`, `10 s`.
pub fn fmt_decade(e: i32) -> String {
    match e {
        ..=-4 => format!("1e{e} ms"),
        -3..=-1 => format!("{} µs", 10i64.pow((e + 3) as u32)),
        0..=2 => format!("{} ms", 10i64.pow(e as u32)),
        3..=5 => format!("{} s", 10i64.pow((e - 3) as u32)),
        _ => format!("1e{} s", e - 3),
    }
}

/// A lateness with three significant figures: `0.132 ms`, `12.4 ms`, `7.83 s`.
pub fn fmt_late(ms: f64) -> String {
    let (v, unit) = if ms.abs() >= 1000.0 {
        (ms / 1000.0, "s")
    } else {
        (ms, "ms")
    };
    let decimals = match v.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        a if a >= 1.0 => 2,
        _ => 3,
    };
    format!("{v:.decimals$} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_cover_the_values_and_map_by_logarithm() {
        let s = LogScale::covering([0.13, 2.0, 7829.8], 400.0, 0.0);
        assert_eq!((s.lo, s.hi, s.floor), (-1, 4, false));
        assert_eq!(s.px(0.1), 400.0);
        assert_eq!(s.px(10_000.0), 0.0);
        assert!((s.px(10.0) - 240.0).abs() < 1e-9, "{}", s.px(10.0));
        let labels: Vec<String> = s.ticks().into_iter().map(|t| t.label).collect();
        assert_eq!(labels, ["100 µs", "1 ms", "10 ms", "100 ms", "1 s", "10 s"]);
    }

    #[test]
    fn values_at_or_below_zero_get_a_band_of_their_own() {
        let s = LogScale::covering([-999.6, 0.5], 400.0, 0.0);
        assert!(s.floor);
        assert_eq!(s.px(-999.6), 400.0);
        assert_eq!(s.px(0.0), 400.0);
        assert_eq!(s.px(0.1), 400.0 - FLOOR_BAND_PX);
        let ticks = s.ticks();
        assert_eq!(ticks[0].label, "≤ 0");
        assert_eq!(ticks[0].px, 400.0);
    }

    #[test]
    fn no_positive_values_and_absurd_ranges_still_make_a_scale() {
        let s = LogScale::covering([], 100.0, 0.0);
        assert_eq!((s.lo, s.hi), (-2, 0));
        let s = LogScale::covering([f64::NAN, f64::INFINITY, 1e-300, 1e300], 100.0, 0.0);
        assert!(s.hi - s.lo <= MAX_DECADES, "{s:?}");
        assert!(s.px(1e-300) == 100.0 && s.px(1e300) == 0.0);
        let one = LogScale::covering([5.0], 100.0, 0.0);
        assert!(one.hi > one.lo);
    }

    #[test]
    fn labels_read_in_the_unit_that_fits() {
        assert_eq!(fmt_decade(-3), "1 µs");
        assert_eq!(fmt_decade(-1), "100 µs");
        assert_eq!(fmt_decade(0), "1 ms");
        assert_eq!(fmt_decade(4), "10 s");
        assert_eq!(fmt_late(0.1324), "0.132 ms");
        assert_eq!(fmt_late(12.44), "12.4 ms");
        assert_eq!(fmt_late(7829.8), "7.83 s");
        assert_eq!(fmt_late(-2.5), "-2.50 ms");
    }
}
