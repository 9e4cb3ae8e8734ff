//! `slow-client plot RUN.jsonl [MORE.jsonl ...] -o FILE.svg`: saved runs as one picture.

use super::plot_file::PlotFile;
use super::Exit;
use crate::cli::PlotArgs;
use slow_client::plot::{self, Run};
use std::fs;
use std::path::Path;

/// Reads every run, draws them overlaid, writes the SVG; says how to exit.
///
/// A file that cannot be read or is not `--json` output is an error naming
/// `FILE:LINE`, and nothing is written ([`Exit::Setup`]).
pub fn plot(args: PlotArgs) -> Exit {
    match plot_inner(&args) {
        Ok(count) => {
            eprintln!(
                "wrote {} ({count} run{})",
                args.output.display(),
                if count == 1 { "" } else { "s" }
            );
            Exit::Success
        }
        Err(message) => {
            eprintln!("slow-client: error: {message}");
            Exit::Setup
        }
    }
}

fn plot_inner(args: &PlotArgs) -> Result<usize, String> {
    let runs = args
        .runs
        .iter()
        .map(|path| load(path))
        .collect::<Result<Vec<Run>, String>>()?;
    let file = PlotFile::create(&args.output)
        .map_err(|e| format!("cannot create {}: {e}", args.output.display()))?;
    file.commit(&runs)
        .map_err(|e| format!("writing {}: {e}", args.output.display()))?;
    Ok(runs.len())
}

/// One saved run, labelled with its file name.
fn load(path: &Path) -> Result<Run, String> {
    let text = fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let label = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    plot::run_from_jsonl_bytes(&label, &text)
        .map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.message))
}
