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

#[cfg(test)]
mod tests {
    use super::cargo;

    /// The files `cargo package` would ship for `krate`, as the registry would
    /// receive them (`cargo package --list`, which needs no build).
    ///
    /// # Errors
    ///
    /// When cargo cannot list the package.
    fn shipped_files(krate: &str) -> Result<Vec<String>, String> {
        let mut cmd = cargo();
        cmd.args(["package", "--list", "--allow-dirty", "-p", krate]);
        let out = cmd
            .output()
            .map_err(|e| format!("cargo package --list -p {krate}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo package --list -p {krate}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// A user of a crate gets what they need; the bench's helper and the
    /// half-megabyte picture stay in the repository (the README shows the
    /// picture from there, and `cargo xtask bench floor` builds the helper
    /// from the workspace, where it still is).
    #[test]
    fn packages_ship_what_a_user_needs_and_leave_the_rest_in_the_repository() {
        let sys = shipped_files("epoll-sys").unwrap();
        assert!(sys.iter().any(|f| f == "examples/express.rs"), "{sys:?}");
        assert!(!sys.iter().any(|f| f.contains("floor_client")), "{sys:?}");
        let client = shipped_files("slow-client").unwrap();
        assert!(client.iter().any(|f| f == "docs/demo.svg"), "{client:?}");
        assert!(
            !client.iter().any(|f| f.starts_with("docs/run-9000")),
            "{client:?}"
        );
        let floor = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../epoll-sys/examples/floor_client.rs");
        assert!(
            floor.is_file(),
            "the bench's helper is still in the repository"
        );
    }
}
