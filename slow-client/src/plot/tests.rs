//! The picture end to end: well-formed SVG, one mark per request, small files.
//!
//! Set `SLOW_CLIENT_PLOT_DIR` to also write the synthetic pictures there, to
//! look at them (e.g. rendered by headless Chromium).

use super::*;

/// A realistic run of `n`: delays descending by `step` ms, written 0.05 ms
/// apart, mostly 0.1-0.5 ms late with every 1013th 1.5-2 ms late; every 997th
/// request fails; one pair (two pairs from 100 on) arrives swapped.
fn synthetic(n: u32, step: u64, label: &str) -> Run {
    let mut records: Vec<Record> = (1..=n)
        .map(|id| {
            let delay_ms = u64::from(n - id) * step;
            let sent = 0.3 + f64::from(id) * 0.05;
            // A cheap deterministic spread of lateness, skewed towards the low end.
            let u = f64::from(id.wrapping_mul(2_654_435_761) >> 16) / 65536.0;
            let late = if id % 1013 == 0 {
                1.5 + 0.5 * u
            } else {
                0.1 + 0.4 * u * u
            };
            let outcome = match id % 997 {
                0 => Outcome::Error {
                    kind: "timeout".into(),
                },
                500 => Outcome::Response { status: 503 },
                _ => Outcome::Response { status: 200 },
            };
            Record {
                id,
                delay_ms,
                sent_ms: Some(sent),
                done_ms: Some(sent + delay_ms as f64 + late),
                elapsed_ms: Some(delay_ms as f64 + late),
                outcome,
            }
        })
        .collect();
    records.sort_by(|a, b| a.done_ms.unwrap().total_cmp(&b.done_ms.unwrap()));
    if n >= 5 {
        records.swap(1, 2);
    }
    if n >= 100 {
        let k = records.len() * 2 / 3;
        records.swap(k, k + 1);
    }
    Run {
        label: label.into(),
        argv: format!("slow-client --count {n} --step-ms {step}")
            .split(' ')
            .map(String::from)
            .collect(),
        totals: Some(RunTotals {
            requested: n,
            wall_ms: records.iter().filter_map(|r| r.done_ms).reduce(f64::max),
            interrupted: false,
        }),
        records,
    }
}

fn save(name: &str, svg: &str) {
    if let Some(dir) = std::env::var_os("SLOW_CLIENT_PLOT_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), svg).expect("write picture");
    }
}

/// Parses the SVG and returns the `data-id` of every mark, in document order.
fn mark_ids(svg: &str) -> Vec<u32> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter_map(|n| n.attribute("data-id"))
        .map(|id| id.parse().expect("numeric data-id"))
        .collect()
}

#[test]
fn five_requests_draw_five_marks_in_well_formed_svg() {
    let run = synthetic(5, 1000, "five");
    let picture = svg(&[run]);
    save("five.svg", &picture);
    let mut ids = mark_ids(&picture);
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert!(picture.contains("slow-client --count 5 --step-ms 1000"));
    assert!(
        picture.contains("1 inversion"),
        "the swapped pair is counted"
    );
}

#[test]
fn few_requests_show_failures_as_crosses_named_in_the_legend() {
    let mut run = synthetic(20, 250, "failures");
    run.records[3].outcome = Outcome::Error {
        kind: "connect_refused".into(),
    };
    run.records[3].sent_ms = None;
    run.records[3].done_ms = Some(0.9);
    run.records[7].outcome = Outcome::Response { status: 404 };
    let layout = lay_out(&[run]);
    assert!(!layout.timeline.dense);
    assert_eq!(
        layout.timeline.failure_kinds,
        ["connect_refused", "status 404"]
    );
    let picture = render(&layout);
    save("failures.svg", &picture);
    let doc = roxmltree::Document::parse(&picture).expect("well-formed XML");
    let failures = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("mark failure"))
        .count();
    assert_eq!(failures, 2);
    assert_eq!(mark_ids(&picture).len(), 20);
}

#[test]
fn twenty_thousand_requests_draw_one_mark_each_under_two_megabytes() {
    let run = synthetic(20_000, 1, "big");
    let picture = svg(&[run]);
    save("twenty-thousand.svg", &picture);
    assert!(picture.len() < 2_000_000, "{} bytes", picture.len());
    let mut ids = mark_ids(&picture);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20_000);
    assert!(lay_out(&[synthetic(20_000, 1, "big")]).timeline.dense);
}

#[test]
fn twenty_thousand_failures_or_inversions_still_fit_in_two_megabytes() {
    let mut failing = synthetic(20_000, 1, "refused");
    for r in &mut failing.records {
        r.outcome = Outcome::Error {
            kind: "connect_refused".into(),
        };
    }
    let mut ascending = synthetic(20_000, 1, "ascending");
    ascending.records.reverse(); // every answer after a longer delay
    for (name, run) in [("failing.svg", failing), ("ascending.svg", ascending)] {
        let picture = svg(&[run]);
        save(name, &picture);
        assert!(picture.len() < 2_000_000, "{name}: {} bytes", picture.len());
        assert_eq!(mark_ids(&picture).len(), 20_000, "{name}");
        let no_lateness = picture.contains("no ok answers: no lateness to show");
        assert_eq!(no_lateness, name == "failing.svg", "{name}");
    }
}

#[test]
fn overlaid_runs_each_draw_their_marks_with_a_legend() {
    let a = synthetic(9000, 1, "embedded.jsonl");
    let mut b = synthetic(9000, 1, "separate.jsonl");
    b.records.iter_mut().for_each(|r| {
        r.done_ms = r.done_ms.map(|d| d + 0.8);
        r.elapsed_ms = r.elapsed_ms.map(|d| d + 0.8);
    });
    let picture = svg(&[a, b]);
    save("overlaid.svg", &picture);
    assert!(picture.len() < 2_000_000, "{} bytes", picture.len());
    assert_eq!(mark_ids(&picture).len(), 18_000);
    for label in [
        "2 runs",
        "embedded.jsonl",
        "separate.jsonl",
        "timeout",
        "status 503",
    ] {
        assert!(picture.contains(label), "{label}");
    }
}

#[test]
fn text_is_escaped() {
    let mut run = synthetic(5, 1000, "x");
    run.argv = vec!["slow-client".into(), "--path".into(), "/a?b=<1>&c".into()];
    let picture = svg(&[run]);
    assert_eq!(mark_ids(&picture).len(), 5);
    assert!(picture.contains("&lt;1&gt;&amp;c"));
}

#[test]
fn an_older_file_without_times_is_drawn_as_far_as_it_can_be() {
    let mut run = synthetic(5, 1000, "old.jsonl");
    for r in &mut run.records {
        r.sent_ms = None;
        r.done_ms = None;
    }
    run.totals = None;
    let layout = lay_out(&[run]);
    assert!(layout.timeline.marks.is_empty());
    assert_eq!(layout.lateness.curves.len(), 1, "lateness from elapsed_ms");
    let notes: Vec<&str> = layout
        .header
        .iter()
        .filter(|l| l.style == LineStyle::Note)
        .map(|l| l.text.as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("without done_ms")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("cut short")), "{notes:?}");
    mark_ids(&render(&layout));
}

#[test]
fn long_command_lines_are_clipped() {
    let mut run = synthetic(5, 1000, "x");
    run.argv = vec!["x".repeat(500)];
    let title = &lay_out(&[run]).header[0];
    assert_eq!(title.style, LineStyle::Title);
    assert_eq!(title.text.chars().count(), MAX_CHARS + 1);
    assert!(title.text.ends_with('…'));
}

#[test]
fn control_characters_in_any_text_keep_the_svg_well_formed() {
    let mut run = synthetic(5, 1000, "a\u{1}label\u{7}");
    run.argv = vec![
        "slow-client".into(),
        "--path".into(),
        "/x\u{1b}[31m\u{0}".into(),
    ];
    run.records[0].outcome = Outcome::Error {
        kind: "bad\u{8}kind\u{ffff}".into(),
    };
    run.totals = None;
    let svg = svg(&[run, synthetic(3, 1000, "b\u{2}")]);
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("ill-formed: {e}"));
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(text.contains("bad\u{fffd}kind\u{fffd}"), "{text}");
    assert!(text.contains('\u{fffd}'));
}

/// The 3,000-request picture: 85% of answers in a linear histogram's
/// first bar. The spectrum gives the table p50 to max, and the summary's p50
/// and p99 are the table's.
#[test]
fn the_spectrum_table_states_the_summarys_percentiles() {
    let run = synthetic(3000, 1, "three-thousand");
    let layout = lay_out(std::slice::from_ref(&run));
    let stats = run_stats(&run).lateness.expect("ok answers");
    let p = &layout.lateness;
    assert_eq!(p.value(0, "p50"), Some(stats.p50));
    assert_eq!(p.value(0, "p99"), Some(stats.p99));
    assert_eq!(p.value(0, "max"), Some(stats.max));
    let picture = render(&layout);
    save("three-thousand.svg", &picture);
    for name in ["p50", "p90", "p99", "p99.9", "max"] {
        assert!(picture.contains(&format!(">{name}</text>")), "{name}");
    }
}

/// A writer that stalls for 2 s after half the run, then writes one request
/// every 10 ms (slower than the delays shrink): the writes strip says how
/// long it stalled, and the answers written late arrive after longer delays,
/// each inversion ringed.
#[test]
fn a_stalled_writer_shows_in_the_strip_and_its_inversions_are_each_marked() {
    let mut run = synthetic(400, 1, "stalled");
    for r in &mut run.records {
        if r.id > 200 {
            let late = 2000.0 + f64::from(r.id - 200) * 10.0;
            for t in [&mut r.sent_ms, &mut r.done_ms] {
                *t = t.map(|v| v + late);
            }
        }
    }
    run.records
        .sort_by(|a, b| a.done_ms.unwrap().total_cmp(&b.done_ms.unwrap()));
    let layout = lay_out(&[run.clone()]);
    let front = &layout.writes.fronts[0];
    let (pause, _) = front.longest_pause.expect("a pause");
    assert!((pause - 2010.05).abs() < 0.01, "{pause}");
    let stats = run_stats(&run);
    let rings = layout
        .timeline
        .marks
        .iter()
        .filter(|m| m.kind == MarkKind::Inversion)
        .count();
    assert_eq!(rings as u32, stats.inversions, "one ring per inversion");
    assert!(stats.inversions > 150, "{}", stats.inversions);
    let picture = render(&layout);
    save("stalled.svg", &picture);
    assert!(picture.contains("longest pause between two writes 2.01 s"));
    let doc = roxmltree::Document::parse(&picture).expect("well-formed XML");
    let rings_drawn = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("mark inv"))
        .count();
    assert_eq!(rings_drawn, rings);
}
