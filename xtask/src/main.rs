//! xtask (skeleton).
#![forbid(unsafe_code)]
fn main() {}
