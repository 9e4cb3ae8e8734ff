//! `cargo package --workspace`: every publishable crate packaged as the
//! registry would receive it, then built on its own from that package, with
//! its sibling dependencies resolved from their packages, not from our paths.
//! That is the proof that `epoll-sys` and `epoll-safe` work for a user who
//! depends on them alone.
//!
//! `xtask` is `publish = false`, but `cargo package --workspace` (cargo 1.95)
//! still packages and verifies such members, so it is excluded by name.

use crate::steps::{cargo, run_visible, Outcome};

/// Packages and verifies every publishable crate of the workspace.
///
/// # Errors
///
/// When cargo refuses a package (missing metadata, a file outside the crate)
/// or a package does not build on its own.
pub fn package() -> Outcome {
    let mut cmd = cargo();
    // --allow-dirty: the gate runs on working trees with edits not yet
    // committed (that is when developers run it), and cargo refuses to
    // package a dirty tree by default. Only the VCS cleanliness check is
    // skipped; verification, building each package from its tarball, still
    // runs (never pass --no-verify: verifying is the point of this step).
    // Publishing remains a separate, deliberate act from a clean tree.
    cmd.args([
        "package",
        "--workspace",
        "--exclude",
        "xtask",
        "--allow-dirty",
    ]);
    run_visible(cmd)
}
