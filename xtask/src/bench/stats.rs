//! The summaries the report takes of repeated measurements.

/// The median of `values`: the middle value of an odd count, the mean of the
/// middle two of an even one; `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[mid]),
        _ => Some((v[mid - 1] + v[mid]) / 2.0),
    }
}

/// `(smallest, largest)` of `values`; `None` when there are none.
pub fn range(values: &[f64]) -> Option<(f64, f64)> {
    let lo = values.iter().copied().min_by(f64::total_cmp)?;
    let hi = values.iter().copied().max_by(f64::total_cmp)?;
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::{median, range};

    #[test]
    fn median_of_an_odd_count_is_the_middle_value_whatever_the_order() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[1.23, 0.81, 1.86, 1.13, 0.98]), Some(1.13));
        assert_eq!(median(&[7.0]), Some(7.0));
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[1.0, 3.0]), Some(2.0));
    }

    #[test]
    fn nothing_has_no_median_and_no_range() {
        assert_eq!(median(&[]), None);
        assert_eq!(range(&[]), None);
    }

    #[test]
    fn range_is_the_smallest_and_the_largest() {
        assert_eq!(range(&[1.2, 0.9, 1.1]), Some((0.9, 1.2)));
    }
}
