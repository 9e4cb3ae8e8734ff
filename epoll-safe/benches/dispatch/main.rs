//! Dispatch cost: what one zero-timeout wait plus reading every event's
//! token costs per event, through raw `libc::epoll_wait`, epoll-safe, mio and
//! polling, side by side in one process.
//!
//! K eventfds (K = 64, 1024) are registered level-triggered for readability
//! with each implementation's own epoll instance. Two variants:
//!
//! - **kept readable**: the counters are never drained, so every wait
//!   returns all K events; this isolates the wait and the dispatch loop.
//! - **write+drain**: before each wait every fd is written, after it every
//!   reported fd is read back to zero: 2K extra syscalls per wait, the shape
//!   of a loop that does I/O.
//!
//! Each round runs every implementation for one batch of B waits (B sized so
//! a batch takes about 3 ms), in an order that rotates from round to round,
//! so drift in clock speed or noise from other processes hits all four
//! alike. After warm-up rounds, the median ns/event over the measured rounds
//! is reported with its ratio to raw libc, and the spread (p25..p75) of the
//! same ratio taken round by round. Every wait must return exactly K events
//! whose tokens sum to 0 + 1 + ... + K-1, or the bench panics.
//!
//! Run with `cargo bench -p epoll-safe --bench dispatch`; `cargo xtask bench`
//! runs it and copies the tables into `xtask/BENCHMARKS.md`.

mod counting;
mod impls;

use impls::{Fds, Mio, Polling, Raw, Safe, Waiter};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

const KS: [usize; 2] = [64, 1024];
/// Measured rounds per (variant, K); odd, so the median is one round.
const ROUNDS: usize = 251;
/// Rounds run and thrown away first: page faults, caches, CPU frequency.
const WARM_UP_ROUNDS: usize = 15;
/// How long one batch of one implementation should take.
const BATCH: Duration = Duration::from_millis(3);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    KeptReadable,
    WriteDrain,
}

/// One line of a table.
struct Row {
    name: &'static str,
    k: usize,
    waits_per_batch: usize,
    median_ns: f64,
    ratio: f64,
    ratio_p25: f64,
    ratio_p75: f64,
    allocations_per_wait: f64,
}

/// One implementation's samples for one (variant, K).
#[derive(Default)]
struct Samples {
    ns_per_event: Vec<f64>,
    waits: u64,
    allocations: u64,
}

/// Runs `waits` waits and returns the time they took and the allocations
/// made meanwhile. `DRAIN` selects the write+drain variant at compile time,
/// so the kept-readable loop carries no trace of it.
fn batch<W: Waiter, const DRAIN: bool>(w: &mut W, fds: &Fds, waits: usize) -> (Duration, u64) {
    let k = fds.len();
    let expected = (k * (k - 1) / 2) as u64;
    let mut acc = 0u64;
    let allocations = counting::allocations();
    let start = Instant::now();
    for _ in 0..waits {
        if DRAIN {
            fds.write_all();
        }
        let mut sum = 0u64;
        let n = w.wait(|token| {
            sum = sum.wrapping_add(token);
            if DRAIN {
                fds.drain(token);
            }
        });
        assert!(
            n == k && sum == expected,
            "{}: a wait returned {n} events (token sum {sum}), expected {k} ({expected})",
            W::NAME
        );
        acc = acc.wrapping_add(black_box(sum));
    }
    let took = start.elapsed();
    black_box(acc);
    (took, counting::allocations() - allocations)
}

fn run<W: Waiter>(w: &mut W, fds: &Fds, variant: Variant, waits: usize, s: &mut Samples) {
    let (took, allocations) = match variant {
        Variant::KeptReadable => batch::<W, false>(w, fds, waits),
        Variant::WriteDrain => batch::<W, true>(w, fds, waits),
    };
    let events = (waits * fds.len()) as f64;
    s.ns_per_event.push(took.as_nanos() as f64 / events);
    s.waits += waits as u64;
    s.allocations += allocations;
}

/// The four implementations over one set of fds.
struct Contenders {
    raw: Raw,
    safe: Safe,
    mio: Mio,
    polling: Polling,
}

const NAMES: [&str; 4] = [Raw::NAME, Safe::NAME, Mio::NAME, Polling::NAME];

impl Contenders {
    fn run(&mut self, i: usize, fds: &Fds, variant: Variant, waits: usize, s: &mut Samples) {
        match i {
            0 => run(&mut self.raw, fds, variant, waits, s),
            1 => run(&mut self.safe, fds, variant, waits, s),
            2 => run(&mut self.mio, fds, variant, waits, s),
            _ => run(&mut self.polling, fds, variant, waits, s),
        }
    }

    /// Waits per batch: enough raw waits to fill [`BATCH`].
    fn calibrate(&mut self, fds: &Fds, variant: Variant) -> usize {
        let mut probe = Samples::default();
        let mut waits = 1;
        loop {
            let t = Instant::now();
            self.run(0, fds, variant, waits, &mut probe);
            let took = t.elapsed();
            if took >= BATCH / 4 {
                let per_wait = took.as_secs_f64() / waits as f64;
                return ((BATCH.as_secs_f64() / per_wait).round() as usize).max(1);
            }
            waits *= 2;
        }
    }

    fn measure(&mut self, fds: &Fds, variant: Variant) -> Vec<Row> {
        let waits = self.calibrate(fds, variant);
        let mut samples: [Samples; 4] = Default::default();
        for round in 0..WARM_UP_ROUNDS + ROUNDS {
            if round == WARM_UP_ROUNDS {
                samples = Default::default();
            }
            for i in 0..4 {
                let which = (round + i) % 4;
                self.run(which, fds, variant, waits, &mut samples[which]);
            }
        }
        rows(&samples, fds.len(), waits)
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn rows(samples: &[Samples; 4], k: usize, waits_per_batch: usize) -> Vec<Row> {
    let raw = &samples[0].ns_per_event;
    let raw_median = quantile(&sorted(raw.clone()), 0.5);
    (0..4)
        .map(|i| {
            let s = &samples[i];
            let median_ns = quantile(&sorted(s.ns_per_event.clone()), 0.5);
            let per_round = s.ns_per_event.iter().zip(raw).map(|(x, r)| x / r);
            let per_round = sorted(per_round.collect());
            Row {
                name: NAMES[i],
                k,
                waits_per_batch,
                median_ns,
                ratio: median_ns / raw_median,
                ratio_p25: quantile(&per_round, 0.25),
                ratio_p75: quantile(&per_round, 0.75),
                allocations_per_wait: s.allocations as f64 / s.waits as f64,
            }
        })
        .collect()
}

fn print_table(title: &str, rows: &[Row]) {
    println!("### {title}\n");
    println!("| impl | K | waits/batch | median ns/event | ratio to raw libc | per-round ratio p25..p75 | allocations/wait |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {:.2} | {:.3} | {:.3}..{:.3} | {} |",
            r.name,
            r.k,
            r.waits_per_batch,
            r.median_ns,
            r.ratio,
            r.ratio_p25,
            r.ratio_p75,
            r.allocations_per_wait
        );
    }
    println!();
}

/// 1024 eventfds plus the epoll fds need more than a default soft limit of 1024.
fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a live, writable rlimit.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0, "getrlimit: {}", std::io::Error::last_os_error());
    limit.rlim_cur = limit.rlim_max;
    // SAFETY: `limit` is a live rlimit the kernel only reads.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// `--probe IMPL WAITS`: only `WAITS` kept-readable waits on 64 fds through
/// one implementation, nothing else, so that `strace -c` over two probes
/// (0 and N waits) tells the syscalls one wait makes. `cargo xtask bench`
/// uses it to show where the differences come from.
fn probe(name: &str, waits: usize) {
    let fds = Fds::new(64);
    match name {
        Raw::NAME => drop(batch::<Raw, false>(&mut Raw::new(&fds), &fds, waits)),
        Safe::NAME => drop(batch::<Safe, false>(&mut Safe::new(&fds), &fds, waits)),
        Mio::NAME => drop(batch::<Mio, false>(&mut Mio::new(&fds), &fds, waits)),
        Polling::NAME => drop(batch::<Polling, false>(
            &mut Polling::new(&fds),
            &fds,
            waits,
        )),
        other => panic!("--probe: unknown implementation {other:?}, expected one of {NAMES:?}"),
    }
}

fn main() {
    raise_fd_limit();
    // `cargo bench` passes `--bench` (and any filter): ignored, the bench has
    // no options besides the probe.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--probe") {
        let usage = "usage: dispatch --probe IMPL WAITS";
        let name = args.get(at + 1).expect(usage);
        let waits = args.get(at + 2).and_then(|w| w.parse().ok()).expect(usage);
        probe(name, waits);
        return;
    }
    let started = Instant::now();
    let mut kept = Vec::new();
    let mut drained = Vec::new();
    for k in KS {
        // Declared first, so dropped last: every waiter's epoll watches these.
        let fds = Fds::new(k);
        let mut c = Contenders {
            raw: Raw::new(&fds),
            safe: Safe::new(&fds),
            mio: Mio::new(&fds),
            polling: Polling::new(&fds),
        };
        for (variant, out) in [
            (Variant::KeptReadable, &mut kept),
            (Variant::WriteDrain, &mut drained),
        ] {
            let t = Instant::now();
            out.extend(c.measure(&fds, variant));
            let name = match variant {
                Variant::KeptReadable => "kept readable",
                Variant::WriteDrain => "write+drain",
            };
            eprintln!("dispatch: K={k} {name}: {:.1}s", t.elapsed().as_secs_f64());
        }
    }
    println!(
        "Dispatch cost per event: one zero-timeout wait on K level-triggered eventfds, \
         then every event's token read; {ROUNDS} rounds after {WARM_UP_ROUNDS} warm-up rounds, \
         each implementation one batch per round in rotating order; medians over rounds.\n"
    );
    print_table("kept readable (never drained)", &kept);
    print_table(
        "write+drain (write every fd, wait, read each reported fd)",
        &drained,
    );
    let safe_allocations: f64 = kept
        .iter()
        .chain(&drained)
        .filter(|r| r.name == Safe::NAME)
        .map(|r| r.allocations_per_wait)
        .sum();
    println!(
        "epoll-safe allocations per wait: {safe_allocations} (every measured wait, both variants)"
    );
    eprintln!("dispatch: done in {:.1}s", started.elapsed().as_secs_f64());
}
