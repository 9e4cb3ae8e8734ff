//! A fixed result for every section, for the renderer's tests: numbers
//! picked so that each branch of the report shows (a met and a missed
//! target, a skipped measurement, a run without responses).

use super::dispatch::{self, Dispatch, PerWait};
use super::e2e::{Lateness, Run, Summary};
use super::floor::{self, Cpu, CpuComparison, Floor, SyscallComparison};
use super::machine::Machine;
use super::memory::Memory;
use super::order::Series;
use super::profile::{Profile, Profiles};
use super::progress::{Progress, Sample, Shown};
use super::serve::{Compared, Load, ServeBench, LOADS};
use super::syscalls::Syscalls;
use super::Measured;

pub fn machine() -> Machine {
    Machine {
        cpus: 2,
        model: "AMD EPYC".into(),
        kernel: "6.18.44".into(),
        rustc: "rustc 1.95.0".into(),
        date: "2026-12-06 21:40".into(),
        revision: "abc1234".into(),
    }
}

fn summary(requested: f64, p99: Option<f64>) -> Summary {
    Summary {
        requested,
        ok: requested - 1.0,
        failed: 1.0,
        inversions: 3.0,
        unexplained_inversions: 0.0,
        write_window_ms: Some(94.25),
        max_stall_ms: Some(1.5),
        wall_ms: 9194.4,
        cpu_user_ms: 147.0,
        cpu_sys_ms: 1019.0,
        max_rss_kib: 12980.0,
        lateness: p99.map(|p99| Lateness {
            p50: 0.14,
            p99,
            max: 4.7,
        }),
    }
}

fn run(label: &'static str, args: &[&str], requested: f64, p99: Option<f64>) -> Run {
    Run {
        label,
        args: args.iter().map(|a| a.to_string()).collect(),
        summary: summary(requested, p99),
        others: Some(0.05),
        noise: Some((0.002, 0.284)),
    }
}

pub fn dispatch() -> Dispatch {
    let markdown = "\
Dispatch cost per event: one wait.

### kept readable (never drained)

| impl | K | waits/batch | median ns/event | ratio to raw libc | per-round ratio p25..p75 | allocations/wait |
|---|---:|---:|---:|---:|---:|---:|
| raw libc | 64 | 388 | 93.22 | 1.000 | 1.000..1.000 | 0 |
| epoll-safe | 64 | 388 | 93.69 | 1.005 | 0.999..1.013 | 0 |

### write+drain (write every fd, wait, read each reported fd)

| raw libc | 64 | 50 | 900.00 | 1.000 | 1.000..1.000 | 0 |
| epoll-safe | 64 | 50 | 930.00 | 1.030 | 1.002..1.040 | 0.5 |
"
    .to_string();
    let rows = dispatch::parse(&markdown).unwrap();
    Dispatch { markdown, rows }
}

pub fn runs() -> Vec<Run> {
    vec![
        run(
            "embedded server, all due at once",
            &["--count", "9000", "--step-ms", "0", "--json"],
            9000.0,
            Some(85.385),
        ),
        run(
            "embedded server",
            &["--count", "5000", "--step-ms", "2", "--json"],
            5000.0,
            None,
        ),
        run(
            "embedded server",
            &["--count", "9000", "--step-ms", "1", "--json"],
            9000.0,
            Some(0.236),
        ),
    ]
}

pub fn order() -> Vec<Series> {
    let args = ["--count", "9000", "--step-ms", "1", "--json"];
    let mut worst = run("embedded server", &args, 9000.0, Some(0.48));
    worst.summary.unexplained_inversions = 2.0;
    worst.summary.max_stall_ms = None;
    worst.noise = None;
    let server = [
        "--server",
        "127.0.0.1:4242",
        "--count",
        "19000",
        "--step-ms",
        "1",
    ];
    vec![
        Series {
            command: "slow-client --count 9000 --step-ms 1 --json".into(),
            server: "embedded",
            runs: vec![
                run("embedded server", &args, 9000.0, Some(0.22)),
                worst,
                run("embedded server", &args, 9000.0, Some(0.24)),
                run("embedded server", &args, 9000.0, Some(0.25)),
            ],
        },
        Series {
            command: "slow-client --server IP:PORT --count 19000 --step-ms 1 --json".into(),
            server: "separate `serve`",
            runs: vec![run("separate server", &server, 19000.0, None)],
        },
    ]
}

pub fn syscalls() -> Measured<Syscalls> {
    Measured::Done(Syscalls {
        command:
            "strace -f -c -o FILE slow-client --server IP:PORT --count 5000 --step-ms 0 --json"
                .into(),
        requests: 5000,
        per_request: vec![("close".into(), 1.002), ("epoll_ctl".into(), 1.0)],
        total_per_request: 6.272,
        summary: summary(5000.0, Some(0.3)),
    })
}

pub fn per_wait() -> Measured<Vec<PerWait>> {
    Measured::Done(vec![
        PerWait {
            name: "raw libc",
            calls: vec![("epoll_wait".into(), 1.0)],
        },
        PerWait {
            name: "polling",
            calls: vec![("epoll_ctl".into(), 2.0), ("read".into(), 1.0)],
        },
    ])
}

pub fn memory() -> Memory {
    let one = ["--server", "127.0.0.1:4242", "--count", "1", "--json"];
    let many = [
        "--server",
        "127.0.0.1:4242",
        "--count",
        "9000",
        "--step-ms",
        "1",
        "--json",
    ];
    let mut one = run("separate server", &one, 1.0, Some(0.19));
    one.summary.max_rss_kib = 3724.0;
    let mut many = run("separate server", &many, 9000.0, Some(0.24));
    many.summary.max_rss_kib = 5752.0;
    Memory {
        one,
        many,
        bytes_per_request: 231.4,
    }
}

fn profile(command: &str) -> Profile {
    let shares = |rows: &[(&str, f64)]| -> Vec<(String, f64)> {
        rows.iter().map(|(n, v)| (n.to_string(), *v)).collect()
    };
    Profile {
        command: command.into(),
        sampled_ms: 794.2,
        by_object: shares(&[
            ("[kernel.kallsyms]", 94.1),
            ("dispatch-1234", 4.2),
            ("libc.so.6", 1.3),
            ("[vdso]", 0.04),
        ]),
        by_syscall: shares(&[("close", 26.0), ("sendto", 22.0)]),
        softirq_net: Some(31.2),
        hottest: shares(&[
            ("[k] ep_send_events", 32.7),
            ("[.] main", 4.0),
            ("[k] fput", 4.6),
        ]),
    }
}

pub fn profiles() -> Measured<Profiles> {
    Measured::Done(Profiles {
        client: profile("perf record -e cpu-clock -F 4000 -g -- slow-client --count 9000"),
        dispatch: vec![
            (
                "raw libc",
                profile("perf record -- dispatch --probe 'raw libc' 300000"),
            ),
            ("epoll-safe", profile("perf record -- dispatch")),
        ],
    })
}

pub fn floor() -> Floor {
    let cpu = |ms| Cpu {
        ms,
        failed: 1,
        others: Some(0.08),
    };
    let traced = |total, rows: &[(&str, f64)]| floor::Traced {
        total_per_request: total,
        per_request: rows.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
    };
    Floor {
        load_average: "0.31 0.55 0.86".into(),
        cpu: vec![CpuComparison {
            load: (9000, 0),
            rounds: vec![(cpu(422.0), cpu(396.0)), (cpu(400.0), cpu(392.0))],
        }],
        syscalls: Measured::Done(vec![SyscallComparison {
            load: (5000, 0),
            slow_client: traced(6.27, &[("write", 1.12), ("recvfrom", 1.0)]),
            floor: traced(6.02, &[("write", 1.0), ("read", 1.0)]),
        }]),
    }
}

pub fn progress() -> Progress {
    let sample = |p99_ms, cpu_ms, others| Sample {
        p99_ms,
        cpu_ms,
        others,
    };
    Progress {
        modes: vec![Shown::Off, Shown::Terminal],
        samples: vec![
            (Shown::Off, sample(0.22, 1182.0, Some(0.0))),
            (Shown::Terminal, sample(0.24, 1187.0, None)),
            (Shown::Off, sample(0.27, 1102.0, Some(0.01))),
            (Shown::Terminal, sample(0.25, 1167.0, None)),
        ],
        load: ("0.31".into(), "0.37".into()),
    }
}

pub fn serve() -> Measured<ServeBench> {
    use super::serve::Sample;
    let sample = |rps, p99_ms, cpu_us| Sample {
        rps,
        p99_ms,
        cpu_us,
    };
    let compared =
        |load: Load, serve: Vec<Sample>, nginx: Vec<Sample>| Compared { load, serve, nginx };
    Measured::Done(ServeBench {
        nginx_version: "nginx/1.22.1".into(),
        wrk_version: "wrk debian/4.1.0-3+b2".into(),
        loads: vec![
            compared(
                LOADS[0],
                vec![sample(134685.0, 0.59, 6.9), sample(130000.0, 0.6, 7.0)],
                vec![sample(131593.0, 0.59, 7.4), sample(129000.0, 0.6, f64::NAN)],
            ),
            compared(
                LOADS[2],
                vec![sample(18811.0, 106.34, 10.7)],
                vec![sample(18493.0, 110.77, 14.2)],
            ),
            compared(
                LOADS[3],
                vec![sample(19988.0, 2.16, 18.5), sample(18973.0, 2.48, 18.9)],
                vec![sample(21804.0, 2.97, 23.7), sample(15986.0, 2.57, 24.1)],
            ),
        ],
        lateness: Some((0.137, 4.195, 8.1)),
        syscalls: Measured::Skipped("strace is not installed (apt-get install strace)".into()),
        loadavg: ("0.37 0.44 0.74".into(), "0.96 0.63 0.78".into()),
        busy: Some(0.66),
    })
}
