//! The rendered docs read well: a method list shows only each summary's
//! first sentence, so it must say what the method does, not open with the C
//! call; and the front page links its example.

use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first line of the doc comment above line `at`, skipping attributes.
fn summary(lines: &[&str], at: usize) -> Option<String> {
    let mut i = at;
    let mut first = None;
    while i > 0 {
        i -= 1;
        let line = lines[i].trim_start();
        if line.starts_with("#[") {
            continue;
        }
        match line.strip_prefix("///") {
            Some(doc) => first = Some(doc.trim().to_owned()),
            None => break,
        }
    }
    first
}

/// A summary such as "`timerfd_settime(self, 0, {after, 0}, NULL)`—Expires
/// once" puts the call before the meaning.
fn opens_with_a_call(summary: &str) -> bool {
    let Some(rest) = summary.strip_prefix('`') else {
        return false;
    };
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    !name.is_empty() && rest[name.len()..].starts_with('(')
}

#[test]
fn method_summaries_say_what_they_do_before_the_c_call() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut offenders = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let item = line.trim_start();
            if !(item.starts_with("pub fn") || item.starts_with("pub const fn")) {
                continue;
            }
            if let Some(s) = summary(&lines, n) {
                if opens_with_a_call(&s) || s.contains("`—") {
                    offenders.push(format!("{}:{}: {s}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
    assert!(opens_with_a_call(
        "`timerfd_settime(self, 0, {after, 0}, NULL)`—Expires"
    ));
    assert!(!opens_with_a_call("Expires once: `timerfd_settime(self)`"));
}

#[test]
fn the_front_page_links_its_example_and_compares_without_a_wide_table() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("[`examples/echo_server.rs`](https://github.com/"),
        "the example is a link"
    );
    let section = lib
        .split("# Coming from mio / nix / rustix")
        .nth(1)
        .expect("the comparison section");
    let section = section.split("\n//! # ").next().unwrap();
    assert!(
        !section.contains("|---|---|---|"),
        "a table of four or more columns clips its last one at 1200 px"
    );
    assert!(section.contains("- **Wait**"), "{section}");
}
