//! `cargo xtask plots`: the README's pictures, drawn by `slow-client --plot`
//! from real runs of the release build, into `slow-client/docs/`.

use crate::steps::{workspace_root, Outcome};
use std::path::Path;
use std::process::{Command, Stdio};

/// Each picture: its file under the workspace root, and the run's arguments.
pub const PICTURES: &[(&str, &[&str])] = &[
    ("slow-client/docs/demo.svg", &[]),
    (
        "slow-client/docs/run-9000.svg",
        &["--count", "9000", "--step-ms", "1"],
    ),
];

/// Builds slow-client in release and draws every picture in [`PICTURES`].
///
/// # Errors
/// The build fails, a run does not succeed, or it writes no picture.
pub fn plots() -> Outcome {
    let exe = crate::bench::build_slow_client()?;
    let root = workspace_root();
    for (file, args) in PICTURES {
        draw(&exe, &root, file, args)?;
    }
    Ok(())
}

fn draw(exe: &Path, root: &Path, file: &str, args: &[&str]) -> Outcome {
    let path = root.join(file);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    // Relative to the root, so the picture's title shows `--plot slow-client/docs/...`.
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .args(["--json", "--plot", file])
        .current_dir(root)
        .env_remove("LD_LIBRARY_PATH")
        .stdout(Stdio::null());
    println!("    $ slow-client {} --json --plot {file}", args.join(" "));
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {}: {e}", exe.display()))?;
    if !status.success() {
        return Err(format!("slow-client {}: {status}", args.join(" ")));
    }
    let size = std::fs::metadata(&path)
        .map_err(|e| format!("{file} was not written: {e}"))?
        .len();
    println!("      wrote {file} ({size} bytes)");
    Ok(())
}
