use super::super::{
    dispatch, e2e, fixture, floor, memory, order, profile, progress, serve, syscalls,
};
use super::*;

/// What every section found from its fixed result, in the order a full run
/// takes the sections.
fn all_findings() -> Vec<Findings> {
    vec![
        dispatch::findings(&fixture::dispatch()),
        e2e::findings(&fixture::runs()).and(order::findings(&fixture::order())),
        syscalls::findings(&fixture::syscalls(), &fixture::per_wait()),
        memory::findings(&fixture::memory()),
        floor::findings(&fixture::floor()),
        profile::findings(&fixture::profiles()),
        progress::findings(&fixture::progress()),
        serve::findings(&fixture::serve()),
    ]
}

/// The report, with the hand-written readings (which change on their own)
/// replaced by their file names.
fn rendered(found: &[Findings]) -> String {
    render(found, &fixture::machine(), Duration::from_secs(650))
        .replace(READING.trim_end(), "<where_time_goes.md>")
        .replace(serve::READING.trim_end(), "<serve/reading.md>")
}

/// The report of the fixed results. Its history shows what a change to the
/// renderer changed; `XTASK_WRITE_GOLDEN=1` rewrites it.
const GOLDEN: &str = include_str!("golden.md");

#[test]
fn the_report_of_fixed_results_is_the_golden_text() {
    let text = rendered(&all_findings());
    if std::env::var_os("XTASK_WRITE_GOLDEN").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/bench/report/golden.md");
        std::fs::write(path, &text).unwrap();
    }
    assert_eq!(text, GOLDEN);
}

#[test]
fn targets_of_every_section_are_counted_in_one_table() {
    let text = rendered(&all_findings());
    assert!(text.contains("## Targets: 5 of 8 met\n"), "{text}");
    let rows = text.lines().filter(|l| l.ends_with(" | **no** |")).count();
    assert_eq!(rows, 3, "{text}");
}

#[test]
fn a_table_with_the_columns_of_one_in_the_chapter_continues_it() {
    let text = rendered(&[
        e2e::findings(&fixture::runs()),
        memory::findings(&fixture::memory()),
    ]);
    let chapter = text
        .split("## ")
        .find(|c| c.starts_with(e2e::HEADING))
        .unwrap();
    assert_eq!(chapter.matches("| command |").count(), 1, "{chapter}");
    assert_eq!(chapter.matches("| `slow-client").count(), 5, "{chapter}");
    assert!(
        chapter.trim_end().ends_with("moves with it."),
        "the note stays after the table: {chapter}"
    );
}

#[test]
fn sections_that_did_not_run_leave_no_chapter_and_no_target() {
    let text = rendered(&[dispatch::findings(&fixture::dispatch())]);
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## Targets: 0 of 2 met",
            "## Dispatch cost",
            "## Where the time goes"
        ]
    );
    assert!(text.ends_with("<where_time_goes.md>\n"), "{text}");
}

#[test]
fn where_the_time_goes_closes_the_report_whichever_section_wrote_to_it() {
    let text = rendered(&[
        profile::findings(&fixture::profiles()),
        progress::findings(&fixture::progress()),
    ]);
    let at = |h: &str| text.find(h).unwrap_or_else(|| panic!("{h}: {text}"));
    assert!(at("## Progress line") < at("## Where the time goes"));
    assert!(at("## Where the time goes") < at("### CPU profile of a dispatch wait"));
}

#[test]
fn a_table_is_written_with_its_alignment_and_a_blank_line_after() {
    let mut table = Table::new(&[("impl", Align::Left), ("ns", Align::Right)]);
    table.row(vec!["raw libc".into(), "93.22".into()]);
    assert_eq!(
        block_text(&Block::Table(table)),
        "| impl | ns |\n|---|---:|\n| raw libc | 93.22 |\n\n"
    );
    assert_eq!(block_text(&Block::Subheading("x")), "### x\n\n");
    assert_eq!(block_text(&Block::Text("a\n\n\n".into())), "a\n\n");
}
