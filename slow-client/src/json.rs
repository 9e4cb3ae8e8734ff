//! Just enough JSON writing for the `--json` lines: escaped strings and numbers.
//!
//! Hand-written rather than serde: the output is three flat object shapes, and
//! a dependency with proc-macros would cost more build time than these lines.

use std::fmt::{self, Write};

/// Displays a string as a JSON string literal, quotes included.
#[derive(Debug, Clone, Copy)]
pub struct Str<'a>(pub &'a str);

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

/// Displays a float as a JSON number rounded to 3 decimals (`null` if not finite).
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.is_finite() {
            return f.write_str("null");
        }
        let rounded = (self.0 * 1000.0).round() / 1000.0;
        // `{}` on f64 never uses exponent notation, and prints integers without ".0"
        // only for whole values; both are valid JSON.
        write!(f, "{rounded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(
            Str("a\"b\\c\nd\u{1}é").to_string(),
            r#""a\"b\\c\nd\u0001é""#
        );
    }

    #[test]
    fn numbers_round_to_microseconds_and_never_print_nan() {
        assert_eq!(Num(1.23456).to_string(), "1.235");
        assert_eq!(Num(4003.0).to_string(), "4003");
        assert_eq!(Num(f64::NAN).to_string(), "null");
        assert_eq!(Num(-0.5).to_string(), "-0.5");
    }
}
