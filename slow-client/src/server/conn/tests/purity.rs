//! The connection module stays pure: a test in the gate reads its source (every
//! file of `src/server/conn/` but these tests, which need one clock read for
//! their virtual clock's origin) and fails on any socket, OS or clock access.

use std::path::{Path, PathBuf};

/// What the pure connection must never name.
const FORBIDDEN: [&str; 11] = [
    "std::net",
    "std::os",
    "std::io",
    "std::fs",
    "epoll_safe",
    "crate::os",
    "super::os",
    "libc",
    "socket2",
    "Instant::now",
    "SystemTime::now",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_conn_module_does_no_io_and_reads_no_clock() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server/conn");
    let mut files = Vec::new();
    sources(&dir, &mut files);
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in FORBIDDEN {
            assert!(
                !text.contains(word),
                "{} names {word}: the connection must stay pure",
                file.display()
            );
        }
    }
}
