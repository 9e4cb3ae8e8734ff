//! `cargo xtask plots`: the README's pictures, drawn by `slow-client --plot`
//! from real runs of the release build, into `slow-client/docs/`.
//!
//! Each picture's run is kept beside it as `--json` lines (`demo.jsonl` for
//! `demo.svg`), so a test can redraw it with today's renderer: a renderer
//! change without `cargo xtask plots` fails the gate, and the pictures in the
//! README never drift from what the program draws.

use crate::steps::{workspace_root, Outcome};
use std::fs::File;
use std::path::{Path, PathBuf};
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
    let jsonl = run_file(&path);
    let out = File::create(&jsonl).map_err(|e| format!("creating {}: {e}", jsonl.display()))?;
    // Relative to the root, so the picture's title shows `--plot slow-client/docs/...`.
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .args(["--json", "--plot", file])
        .current_dir(root)
        .env_remove("LD_LIBRARY_PATH")
        .stdout(Stdio::from(out));
    println!(
        "    $ slow-client {} --json --plot {file} > {}",
        args.join(" "),
        jsonl.display()
    );
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {}: {e}", exe.display()))?;
    if !status.success() {
        return Err(format!("slow-client {}: {status}", args.join(" ")));
    }
    let size = std::fs::metadata(&path)
        .map_err(|e| format!("{file} was not written: {e}"))?
        .len();
    println!("      wrote {file} ({size} bytes) and its run");
    Ok(())
}

/// The `--json` run a picture was drawn from: `x.jsonl` beside `x.svg`.
fn run_file(picture: &Path) -> PathBuf {
    picture.with_extension("jsonl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_pictures_are_what_the_renderer_draws_from_their_runs() {
        let root = workspace_root();
        for (file, _) in PICTURES {
            let picture = root.join(file);
            let jsonl = run_file(&picture);
            let text = std::fs::read_to_string(&jsonl).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; run `cargo xtask plots` and commit slow-client/docs/",
                    jsonl.display()
                )
            });
            let run = slow_client::plot::run_from_jsonl(file, &text)
                .unwrap_or_else(|e| panic!("{}:{e}", jsonl.display()));
            let drawn = slow_client::plot::svg(&[run]);
            let committed = std::fs::read_to_string(&picture)
                .unwrap_or_else(|e| panic!("{}: {e}", picture.display()));
            assert!(
                drawn == committed,
                "{file} is not what the renderer draws from {}: the renderer changed since the \
                 picture was drawn. Run `cargo xtask plots` (release build, on a quiet machine) \
                 and commit slow-client/docs/.",
                jsonl.display()
            );
        }
    }
}
