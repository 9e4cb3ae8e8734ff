//! Whole numbers as decimal text without `core::fmt`: the `--json` line's
//! times and the request path's delay are written once per request, and the
//! formatting machinery costs more than the rest of such a write.

/// The decimal digits of a `u64`, on the stack: what `n.to_string()` holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decimal(Text);

impl Decimal {
    /// The digits of `n`.
    pub(crate) fn new(n: u64) -> Self {
        let mut text = Text::default();
        text.prepend_digits(n);
        Self(text)
    }

    /// The digits as text.
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// `n / 1000` as decimal text with at most three fraction digits and no
/// trailing zeros: 0 → `0`, 250 → `0.25`, 1500 → `1.5`, 1001 → `1.001`.
/// Milliseconds as seconds in a request path, microseconds as milliseconds
/// in a `--json` time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thousandths(Text);

impl Thousandths {
    /// The text of `n / 1000`.
    pub(crate) fn new(n: u64) -> Self {
        let mut text = Text::default();
        let mut frac = n % 1000;
        if frac != 0 {
            let mut digits = 3;
            while frac % 10 == 0 {
                frac /= 10;
                digits -= 1;
            }
            for _ in 0..digits {
                text.prepend(b'0' + (frac % 10) as u8);
                frac /= 10;
            }
            text.prepend(b'.');
        }
        text.prepend_digits(n / 1000);
        Self(text)
    }

    /// The text as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// ASCII written from the end of a buffer forwards.
#[derive(Debug, Clone, Copy)]
struct Text {
    bytes: [u8; 24], // u64::MAX's 20 digits, a point and three decimals
    start: usize,
}

impl Default for Text {
    fn default() -> Self {
        Self {
            bytes: [0; 24],
            start: 24,
        }
    }
}

impl Text {
    fn prepend(&mut self, byte: u8) {
        self.start -= 1;
        self.bytes[self.start] = byte;
    }

    fn prepend_digits(&mut self, mut n: u64) {
        loop {
            self.prepend(b'0' + (n % 10) as u8);
            n /= 10;
            if n == 0 {
                break;
            }
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and a point are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::{Decimal, Thousandths};

    #[test]
    fn digits_are_what_to_string_writes() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(Decimal::new(n).as_str(), n.to_string());
        }
    }

    #[test]
    fn thousandths_drop_trailing_zeros_and_keep_inner_ones() {
        for (n, text) in [
            (0, "0"),
            (1, "0.001"),
            (10, "0.01"),
            (250, "0.25"),
            (1000, "1"),
            (1001, "1.001"),
            (1500, "1.5"),
            (2_000_457, "2000.457"),
            (u64::MAX, "18446744073709551.615"),
        ] {
            assert_eq!(Thousandths::new(n).as_str(), text, "{n}");
        }
    }
}
