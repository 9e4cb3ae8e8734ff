use super::report::load_name;
use super::*;
use crate::bench::report::block_text;

/// The chapter as the report writes it.
fn render(f: &Floor) -> String {
    let found = findings(f);
    found.chapters[0].blocks.iter().map(block_text).collect()
}

fn cpu(ms: f64) -> Cpu {
    Cpu {
        ms,
        failed: 0,
        others: Some(0.02),
    }
}

fn traced(total: f64, rows: &[(&str, f64)]) -> Traced {
    Traced {
        total_per_request: total,
        per_request: rows.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
    }
}

fn section(syscalls: Measured<Vec<SyscallComparison>>) -> Floor {
    Floor {
        load_average: "1.50 0.80 0.40".into(),
        cpu: vec![CpuComparison {
            load: (9000, 0),
            rounds: vec![
                (cpu(110.0), cpu(100.0)),
                (cpu(120.0), cpu(100.0)),
                (cpu(103.0), cpu(100.0)),
            ],
        }],
        syscalls,
    }
}

#[test]
fn reads_the_floor_summary_line() {
    let out = "floor: completed 9000 failed 2 elapsed_ms 404.032 cpu_user_ms 3.881 \
               cpu_sys_ms 391.395 response_bytes 1638000\n";
    let s = parse_floor_line(out).unwrap();
    assert_eq!((s.completed, s.failed), (9000, 2));
    assert_eq!((s.cpu_user_ms, s.cpu_sys_ms), (3.881, 391.395));
}

#[test]
fn a_floor_line_without_cpu_or_no_line_at_all_is_refused() {
    let cut = "floor: completed 1 failed 0 elapsed_ms 1.0\n";
    assert!(parse_floor_line(cut).unwrap_err().contains("cpu_user_ms"));
    assert!(parse_floor_line("error: refused\n").is_err());
}

#[test]
fn ratios_are_per_round_slow_client_over_floor() {
    let f = section(Measured::Skipped("x".into()));
    let r = f.cpu[0].ratios();
    assert_eq!(r.len(), 3);
    assert!((r[0] - 1.1).abs() < 1e-12 && (r[1] - 1.2).abs() < 1e-12);
}

#[test]
fn the_table_shows_median_range_and_the_target() {
    let text = render(&section(Measured::Skipped(
        "skipped: install strace".into(),
    )));
    assert!(
        text.contains("| 9,000 × step 0 | 110 ms | 100 ms | 1.10× | 1.03–1.20× | 2% | missed |"),
        "{text}"
    );
    assert!(text.contains("skipped: install strace"));
    assert!(text.contains("1.50 0.80 0.40"));
}

#[test]
fn the_syscall_table_names_the_difference_counting_same_work_calls_as_one() {
    let row = SyscallComparison {
        load: (1000, 2),
        slow_client: traced(
            8.1,
            &[
                ("epoll_ctl", 2.0),
                ("write", 1.0),
                ("close", 1.0),
                ("recvfrom", 1.0),
                ("epoll_pwait2", 0.5),
            ],
        ),
        floor: traced(
            7.0,
            &[
                ("epoll_ctl", 1.0),
                ("close", 1.0),
                ("read", 1.0),
                ("epoll_wait", 0.7),
            ],
        ),
    };
    let text = render(&section(Measured::Done(vec![row.clone(), row])));
    assert!(
        text.contains(
            "| 1,000 × step 2 ms | 8.10 | 7.00 | epoll_ctl +1.00, write +1.00, epoll_wait -0.20 | ≤ 6.5: missed |"
        ),
        "{text}"
    );
    assert!(text.contains("≤ 8.2: met"));
}

#[test]
fn loads_are_named_with_thousands_separators() {
    assert_eq!(load_name((9000, 0)), "9,000 × step 0");
    assert_eq!(load_name((19000, 1)), "19,000 × step 1 ms");
    assert_eq!(load_name((500, 2)), "500 × step 2 ms");
}
