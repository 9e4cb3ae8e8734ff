//! Shared test helpers: a misbehaving HTTP server and a runner for the binary.
#![allow(dead_code)] // each test file uses a different subset

pub mod fault_server;

use std::process::{Command, Output};

/// One parsed `--json` output of a run.
#[derive(Debug)]
pub struct JsonRun {
    pub status: Option<i32>,
    pub lines: Vec<serde_json::Value>,
    /// The output as printed.
    pub stdout: String,
    pub stderr: String,
}

impl JsonRun {
    /// The `response` and `error` events, in the order printed.
    pub fn outcomes(&self) -> Vec<&serde_json::Value> {
        self.lines
            .iter()
            .filter(|l| l["event"] == "response" || l["event"] == "error")
            .collect()
    }

    /// The event printed for request `id`; panics unless exactly one exists.
    pub fn outcome(&self, id: u64) -> &serde_json::Value {
        let found: Vec<_> = self
            .outcomes()
            .into_iter()
            .filter(|l| l["id"] == id)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "id {id} reported {} times: {self:#?}",
            found.len()
        );
        found[0]
    }

    /// The summary line, which must be the last line.
    pub fn summary(&self) -> &serde_json::Value {
        let last = self.lines.last().expect("some output");
        assert_eq!(last["event"], "summary", "last line is the summary");
        last
    }
}

/// Runs `slow-client` with `args` plus `--json` and parses every stdout line.
pub fn run_json(args: &[&str]) -> JsonRun {
    let out = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(args)
        .arg("--json")
        .output()
        .expect("run slow-client");
    parse(out)
}

fn parse(out: Output) -> JsonRun {
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    JsonRun {
        status: out.status.code(),
        lines,
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
