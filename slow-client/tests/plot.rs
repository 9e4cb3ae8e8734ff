//! `--plot` and `slow-client plot`: the same picture live and from the saved
//! `--json` output, well-formed, one mark per request; bad input named by line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn slow_client(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(args)
        .output()
        .expect("run slow-client")
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slow-client-plot-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// The `data-id` of every mark in the SVG, after checking it parses as XML.
fn mark_ids(svg: &str) -> Vec<u32> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let mut ids: Vec<u32> = doc
        .descendants()
        .filter_map(|n| n.attribute("data-id"))
        .map(|id| id.parse().expect("numeric data-id"))
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn plot_of_the_saved_json_draws_the_same_picture_as_the_live_plot() {
    let dir = scratch("same");
    let (live, later, jsonl) = (
        dir.join("live.svg"),
        dir.join("later.svg"),
        dir.join("run.jsonl"),
    );
    let args = [
        "--count",
        "30",
        "--step-ms",
        "2",
        "--json",
        "--plot",
        path_str(&live),
    ];
    let run = slow_client(&args);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    fs::write(&jsonl, &run.stdout).unwrap();
    let out = slow_client(&["plot", path_str(&jsonl), "-o", path_str(&later)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (live, later) = (
        fs::read_to_string(&live).unwrap(),
        fs::read_to_string(&later).unwrap(),
    );
    assert_eq!(mark_ids(&live), (1..=30).collect::<Vec<_>>());
    assert!(
        live.contains("slow-client --count 30 --step-ms 2"),
        "title has the command line"
    );
    assert_eq!(
        live, later,
        "the live and the saved run draw byte-identical pictures"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn several_runs_overlay_with_a_legend_and_a_cut_short_run_is_drawn() {
    let dir = scratch("overlay");
    let run = slow_client(&["--count", "6", "--step-ms", "1", "--json"]);
    assert_eq!(run.status.code(), Some(0));
    let whole = String::from_utf8(run.stdout).unwrap();
    let cut: String = whole.lines().take(3).map(|l| format!("{l}\n")).collect();
    let (a, b, svg) = (
        dir.join("whole.jsonl"),
        dir.join("cut.jsonl"),
        dir.join("both.svg"),
    );
    fs::write(&a, &whole).unwrap();
    fs::write(&b, &cut).unwrap();
    let out = slow_client(&["plot", path_str(&a), path_str(&b), "-o", path_str(&svg)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = fs::read_to_string(&svg).unwrap();
    assert_eq!(
        mark_ids(&svg).len(),
        6 + 3,
        "one mark per reported request of each run"
    );
    assert!(
        svg.contains("whole.jsonl") && svg.contains("cut.jsonl"),
        "legend names the runs"
    );
    assert!(svg.contains("cut short"), "the cut run says so");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_older_file_without_sent_ms_is_drawn_with_a_note() {
    let dir = scratch("old");
    let old = r#"{"event":"response","id":2,"delay_ms":0,"order":1,"elapsed_ms":0.3,"lateness_ms":0.3,"status":200,"reason":"OK","version":"1.1","body_bytes":49}
{"event":"response","id":1,"delay_ms":10,"order":2,"elapsed_ms":10.3,"lateness_ms":0.3,"status":200,"reason":"OK","version":"1.1","body_bytes":49}
{"event":"summary","requested":2,"ok":2,"failed":0,"responses":2,"in_order":true,"inversions":0,"wall_ms":10.5,"interrupted":false,"lateness_ms":{"p50":0.3,"p99":0.3,"max":0.3}}
"#;
    let (file, svg) = (dir.join("v1.jsonl"), dir.join("v1.svg"));
    fs::write(&file, old).unwrap();
    let out = slow_client(&["plot", path_str(&file), "-o", path_str(&svg)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = fs::read_to_string(&svg).unwrap();
    // Without done_ms no request has a place on the time axis: no marks, said so.
    assert_eq!(mark_ids(&svg), [0u32; 0], "no mark without a time");
    assert!(
        svg.contains("2 requests without done_ms (older format): not on the time axis"),
        "says what is missing"
    );
    assert!(
        svg.contains(r#"class="spec r0""#) && svg.contains("0.300 ms"),
        "the spectrum was drawn from elapsed_ms, its table states the value"
    );
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_malformed_file_is_an_error_naming_file_and_line_with_status_2() {
    let dir = scratch("bad");
    let (file, svg) = (dir.join("bad.jsonl"), dir.join("bad.svg"));
    let good = r#"{"event":"error","id":1,"delay_ms":0,"kind":"timeout","message":"m"}"#;
    fs::write(&file, format!("{good}\n{{\"event\":\"resp")).unwrap();
    let out = slow_client(&["plot", path_str(&file), "-o", path_str(&svg)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let at = format!("{}:2: truncated", file.display());
    assert!(stderr.contains(&at), "{stderr}");
    assert!(!svg.exists(), "nothing written");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unwritable_plot_file_is_a_setup_error_before_any_request() {
    let dir = scratch("unwritable");
    let svg = dir.join("no-such-dir").join("x.svg");
    let out = slow_client(&[
        "--count",
        "2",
        "--step-ms",
        "0",
        "--json",
        "--plot",
        path_str(&svg),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no request was reported");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot create --plot file"), "{stderr}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failed_setup_leaves_an_existing_plot_file_unchanged() {
    let dir = scratch("kept");
    let svg = dir.join("old.svg");
    fs::write(&svg, "<svg>the last good picture</svg>").unwrap();
    let out = slow_client(&[
        "--count",
        "2",
        "--server",
        "nohost.invalid:80",
        "--plot",
        path_str(&svg),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        fs::read_to_string(&svg).unwrap(),
        "<svg>the last good picture</svg>",
        "the old picture survives a run that never started"
    );
    let left: Vec<_> = fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left behind: {left:?}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_that_is_not_utf8_is_an_error_naming_file_and_line() {
    let dir = scratch("utf8");
    let (jsonl, svg) = (dir.join("bad.jsonl"), dir.join("out.svg"));
    fs::write(&jsonl, b"\n{\"event\":\"error\",\"kind\":\"\xff\"}\n").unwrap();
    let out = slow_client(&["plot", path_str(&jsonl), "-o", path_str(&svg)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2: not UTF-8", jsonl.display())),
        "{stderr}"
    );
    assert!(!svg.exists(), "nothing written");
    fs::remove_dir_all(dir).unwrap();
}
