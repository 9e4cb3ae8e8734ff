//! The two tables of the ABI check and their comparison: `name value` lines
//! printed by the C oracle (`xtask/abi/epoll_abi.c`) and by epoll-sys
//! (`epoll-sys/examples/abi_table.rs`), for whichever target they were built.

use crate::steps::Outcome;

/// What comparing the C table with epoll-sys's found, for one target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// How many of the C side's entries were compared.
    pub compared: usize,
    /// The optional names the C side's headers lack (not compared).
    pub absent: Vec<String>,
    /// The names the C side computed from the kernel's definition because
    /// its headers lack them (compared like the others).
    pub computed: Vec<String>,
    /// One line per difference; empty when the tables agree.
    pub mismatches: Vec<String>,
}

/// Parses both sides' output and compares them.
///
/// # Errors
///
/// When either side printed something that is not a table.
pub fn compare_outputs(c_output: &str, rust_output: &str) -> Outcome<Comparison> {
    let c = parse_table("C", c_output)?;
    let rust = parse_table("epoll-sys", rust_output)?;
    Ok(Comparison {
        compared: c.rows.len(),
        mismatches: compare(&c, &rust),
        absent: c.absent,
        computed: c.computed,
    })
}

/// A printed table: its `(name, value)` rows in printed order, the
/// optional names the printing side's headers lack (`absent NAME` lines),
/// and the rows it computed because its headers lack them
/// (`computed NAME VALUE` lines, also in `rows`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Table {
    rows: Vec<(String, u64)>,
    absent: Vec<String>,
    computed: Vec<String>,
}

/// The marker the C side prints before an optional name its headers lack.
const ABSENT: &str = "absent ";

/// The marker the C side prints before a row its headers lack but that it
/// computed from the kernel's definition (the busy-poll struct and ioctls).
const COMPUTED: &str = "computed ";

/// Parses `name value` lines (the name may contain spaces; the value is the
/// last word), `computed name value` lines and `absent NAME` lines,
/// refusing duplicates and non-numbers.
fn parse_table(side: &str, text: &str) -> Outcome<Table> {
    let mut table = Table::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (line, computed) = match line.trim().strip_prefix(COMPUTED) {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        if let Some(name) = line.trim().strip_prefix(ABSENT) {
            let name = name.trim();
            if lookup(&table, name).is_some() || table.absent.iter().any(|n| n == name) {
                return Err(format!("{side} printed {name} twice"));
            }
            table.absent.push(name.to_string());
            continue;
        }
        let (name, value) = line
            .trim()
            .rsplit_once(' ')
            .ok_or_else(|| format!("{side} printed a line without a value: {line:?}"))?;
        let value: u64 = value
            .parse()
            .map_err(|_| format!("{side} printed a non-number for {name}: {value:?}"))?;
        if lookup(&table, name).is_some() || table.absent.iter().any(|n| n == name) {
            return Err(format!("{side} printed {name} twice"));
        }
        if computed {
            table.computed.push(name.to_string());
        }
        table.rows.push((name.to_string(), value));
    }
    if table.rows.is_empty() {
        return Err(format!("{side} printed an empty table"));
    }
    Ok(table)
}

fn lookup(table: &Table, name: &str) -> Option<u64> {
    table.rows.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
}

/// Every difference between the tables, one line each, in the C table's
/// order, then the names only epoll-sys has. Names the C side marks absent
/// (optional entries its headers lack) are not compared.
fn compare(c: &Table, rust: &Table) -> Vec<String> {
    let mut out = Vec::new();
    for (name, cv) in &c.rows {
        let cv = *cv;
        match lookup(rust, name) {
            Some(rv) if rv == cv => {}
            Some(rv) => out.push(format!(
                "{name}: C says {}, epoll-sys says {}",
                show(cv),
                show(rv)
            )),
            None => out.push(format!(
                "{name}: in <sys/epoll.h> but missing from epoll-sys"
            )),
        }
    }
    let absent_in_c = |n: &str| c.absent.iter().any(|a| a == n);
    for (name, _) in rust
        .rows
        .iter()
        .filter(|(n, _)| lookup(c, n).is_none() && !absent_in_c(n))
    {
        out.push(format!("{name}: in epoll-sys but missing from the C table"));
    }
    out
}

/// Small values in decimal; flag-sized ones also in hex, where bits are readable.
fn show(v: u64) -> String {
    if v < 64 {
        v.to_string()
    } else {
        format!("{v} ({v:#x})")
    }
}

#[cfg(test)]
mod tests {
    use super::{compare, compare_outputs, parse_table};

    #[test]
    fn names_may_contain_spaces_and_the_value_is_the_last_word() {
        let t = parse_table(
            "C",
            "offsetof(struct epoll_event, data) 4\nEPOLLET 2147483648\n",
        )
        .unwrap();
        assert_eq!(
            t.rows,
            [
                ("offsetof(struct epoll_event, data)".to_string(), 4),
                ("EPOLLET".to_string(), 1 << 31),
            ]
        );
        assert!(t.absent.is_empty());
    }

    #[test]
    fn duplicates_and_garbage_are_refused() {
        assert!(parse_table("C", "A 1\nA 1\n")
            .unwrap_err()
            .contains("twice"));
        assert!(parse_table("C", "A x\n")
            .unwrap_err()
            .contains("non-number"));
        assert!(parse_table("C", "A\n")
            .unwrap_err()
            .contains("without a value"));
        assert!(parse_table("C", "\n").unwrap_err().contains("empty"));
        assert!(parse_table("C", "A 1\nabsent A\n")
            .unwrap_err()
            .contains("twice"));
        assert!(parse_table("C", "absent A\nA 1\n")
            .unwrap_err()
            .contains("twice"));
        assert!(parse_table("C", "absent B\n")
            .unwrap_err()
            .contains("empty"));
    }

    #[test]
    fn every_difference_and_missing_name_is_reported() {
        let c = parse_table("C", "sizeof(struct epoll_event) 12\nEPOLLIN 1\nONLY_C 3\n").unwrap();
        let r = parse_table(
            "epoll-sys",
            "sizeof(struct epoll_event) 16\nEPOLLIN 1\nONLY_RUST 4\n",
        )
        .unwrap();
        assert_eq!(
            compare(&c, &r),
            [
                "sizeof(struct epoll_event): C says 12, epoll-sys says 16",
                "ONLY_C: in <sys/epoll.h> but missing from epoll-sys",
                "ONLY_RUST: in epoll-sys but missing from the C table",
            ]
        );
    }

    #[test]
    fn names_the_c_headers_lack_are_skipped_not_flagged() {
        // Headers before Linux 6.1: no EPOLL_URING_WAKE, no busy-poll rows;
        // epoll-sys prints them all the same.
        let c = parse_table(
            "C",
            "EPOLLIN 1\nabsent EPOLL_URING_WAKE\nabsent offsetof(struct epoll_params, __pad)\n",
        )
        .unwrap();
        assert_eq!(
            c.absent,
            ["EPOLL_URING_WAKE", "offsetof(struct epoll_params, __pad)"]
        );
        let r = parse_table(
            "epoll-sys",
            "EPOLLIN 1\nEPOLL_URING_WAKE 134217728\noffsetof(struct epoll_params, __pad) 7\n",
        )
        .unwrap();
        assert!(compare(&c, &r).is_empty());
        // A name absent in C but also missing from epoll-sys is no difference
        // either; a value that differs elsewhere still is.
        let r = parse_table("epoll-sys", "EPOLLIN 2\n").unwrap();
        assert_eq!(compare(&c, &r), ["EPOLLIN: C says 1, epoll-sys says 2"]);
    }

    #[test]
    fn computed_rows_are_compared_and_counted() {
        let c = parse_table("C", "EPOLLIN 1\ncomputed EPIOCSPARAMS 1074301441\n").unwrap();
        assert_eq!(c.computed, ["EPIOCSPARAMS"]);
        assert_eq!(c.rows.len(), 2);
        let found = compare_outputs(
            "EPOLLIN 1\ncomputed EPIOCSPARAMS 1074301441\nabsent EPOLL_URING_WAKE\n",
            "EPOLLIN 1\nEPIOCSPARAMS 2148043265\nEPOLL_URING_WAKE 134217728\n",
        )
        .unwrap();
        assert_eq!(found.compared, 2);
        assert_eq!(found.absent, ["EPOLL_URING_WAKE"]);
        assert_eq!(found.computed, ["EPIOCSPARAMS"]);
        assert_eq!(
            found.mismatches,
            ["EPIOCSPARAMS: C says 1074301441 (0x40088a01), epoll-sys says 2148043265 (0x80088a01)"]
        );
        assert!(parse_table("C", "computed A x\n")
            .unwrap_err()
            .contains("non-number"));
    }

    #[test]
    fn equal_tables_have_no_differences() {
        let c = parse_table("C", "EPOLLET 2147483648\n").unwrap();
        assert!(compare(&c, &c.clone()).is_empty());
    }
}
