//! Linear scales from data values to pixels, with round-numbered ticks.

/// Maps `[lo, hi]` in data units onto `[from, to]` in pixels (`to < from` flips the axis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// The data value drawn at `from`.
    pub lo: f64,
    /// The data value drawn at `to`.
    pub hi: f64,
    /// Pixel position of `lo`.
    pub from: f64,
    /// Pixel position of `hi`.
    pub to: f64,
    /// Distance between ticks, in data units.
    pub step: f64,
}

/// One labelled tick on an axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Pixel position along the axis.
    pub px: f64,
    /// The label, in the axis's unit.
    pub label: String,
}

impl Scale {
    /// A scale over `[lo, hi]` widened to round tick values; a flat range is widened by one unit.
    pub fn nice(lo: f64, hi: f64, from: f64, to: f64) -> Self {
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, lo + 0.5)
        };
        let step = tick_step(hi - lo);
        Self {
            lo: (lo / step).floor() * step,
            hi: (hi / step).ceil() * step,
            from,
            to,
            step,
        }
    }

    /// The pixel position of `v` (not clamped).
    pub fn px(&self, v: f64) -> f64 {
        self.from + (v - self.lo) / (self.hi - self.lo) * (self.to - self.from)
    }

    /// Ticks at round values from `lo` to `hi`, labelled by `label`.
    pub fn ticks(&self, label: impl Fn(f64, f64) -> String) -> Vec<Tick> {
        let step = self.step;
        let first = (self.lo / step).ceil() as i64;
        let last = (self.hi / step + 1e-9).floor() as i64;
        (first..=last)
            .map(|k| {
                let v = k as f64 * step;
                Tick {
                    px: self.px(v),
                    label: label(v, step),
                }
            })
            .collect()
    }
}

/// A round step (1, 2 or 5 times a power of ten) giving about six ticks over `range`.
pub fn tick_step(range: f64) -> f64 {
    let raw = range / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm < 1.5 {
        1.0
    } else if norm < 3.5 {
        2.0
    } else if norm < 7.5 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// A number with as many decimals as the tick step needs (`0.25`, `1.5`, `2000`).
pub fn fmt_step(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_owned()
    } else {
        s
    }
}

/// A millisecond tick: `250 ms` below a few seconds' range, `1.5 s` above.
pub fn fmt_ms(v: f64, step: f64) -> String {
    if step >= 500.0 {
        format!("{} s", fmt_step(v / 1000.0, step / 1000.0))
    } else {
        format!("{} ms", fmt_step(v, step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(tick_step(4000.0), 500.0);
        assert_eq!(tick_step(20_000.0), 2000.0);
        assert_eq!(tick_step(30_000.0), 5000.0);
        assert_eq!(tick_step(10.0), 2.0);
        assert!((tick_step(1.8) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn nice_scale_widens_to_round_ends_and_maps_linearly() {
        let s = Scale::nice(3.0, 4012.0, 100.0, 500.0);
        assert_eq!((s.lo, s.hi), (0.0, 4500.0));
        assert_eq!(s.px(0.0), 100.0);
        assert_eq!(s.px(4500.0), 500.0);
        assert_eq!(s.px(2250.0), 300.0);
    }

    #[test]
    fn a_flipped_pixel_range_puts_low_values_at_the_bottom() {
        let s = Scale::nice(0.0, 10.0, 400.0, 0.0);
        assert_eq!(s.px(0.0), 400.0);
        assert_eq!(s.px(10.0), 0.0);
    }

    #[test]
    fn a_flat_range_still_makes_a_scale() {
        let s = Scale::nice(5.0, 5.0, 0.0, 100.0);
        assert!(s.hi > s.lo);
        assert!(s.px(5.0) > 0.0 && s.px(5.0) < 100.0);
    }

    #[test]
    fn ticks_cover_the_range_with_labels() {
        let s = Scale::nice(0.0, 4000.0, 0.0, 800.0);
        let t = s.ticks(fmt_ms);
        let labels: Vec<&str> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels[..3], ["0.0 s", "0.5 s", "1.0 s"]);
        assert_eq!(labels.last(), Some(&"4.0 s"));
        assert_eq!(t[1].px, 100.0);
    }

    #[test]
    fn small_steps_get_decimals_and_no_negative_zero() {
        assert_eq!(fmt_ms(0.25, 0.05), "0.25 ms");
        assert_eq!(fmt_ms(-0.0, 0.5), "0.0 ms");
        assert_eq!(fmt_ms(200.0, 50.0), "200 ms");
    }
}
