//! The file-descriptor budget of a run: what it needs, what the limit lets
//! fit, and the advice when it does not fit (the arithmetic is pure; raising
//! the limit and sizing the fd table are the two calls at the end).
//!
//! Each request holds one socket in this process, two when the embedded
//! server answers it (both ends live here). Beyond them the client keeps
//! [`CLIENT_SPARE`] (stdio, its epoll instance, the signal fd, the `--plot`
//! file and its temporary twin, what the resolver opens); the embedded
//! server, only when there is one, adds [`EMBEDDED_SPARE`] and one listening
//! socket per port. Measured on a 3-request run (`ls /proc/PID/fd`): 7 fds
//! besides the sockets with `--server`, 13 plus one listener embedded.

use crate::os;
pub use crate::os::FdLimit;
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;

/// Descriptors the client keeps beyond its sockets.
pub const CLIENT_SPARE: u64 = 16;

/// Descriptors the embedded server keeps beyond its connections and
/// listeners (its epoll instance, waker, timer); only counted when embedded.
pub const EMBEDDED_SPARE: u64 = 16;

/// Requests per listening port of the embedded server when `--ports` is not
/// given. One client has about 28,000 ephemeral ports towards one address,
/// and `connect` slows down long before they run out (the figures are in
/// `xtask/BENCHMARKS.md`, "Reading the evidence").
pub const REQUESTS_PER_PORT: u32 = 8_192;

/// Where the run's requests are answered, as the budget counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answerer {
    /// The embedded server, listening on this many ports (`None`: one per
    /// [`REQUESTS_PER_PORT`] requests).
    Embedded {
        /// `--ports`, if given.
        ports: Option<u32>,
    },
    /// `--server`: another process.
    Separate,
}

impl Answerer {
    /// Listening ports the embedded server opens for `count` requests (0 for `--server`).
    pub fn ports(self, count: u32) -> u32 {
        match self {
            Answerer::Embedded { ports: Some(p) } => p,
            Answerer::Embedded { ports: None } => count.div_ceil(REQUESTS_PER_PORT).max(1),
            Answerer::Separate => 0,
        }
    }

    /// Sockets per request in this process.
    pub fn per_request(self) -> u64 {
        match self {
            Answerer::Embedded { .. } => 2,
            Answerer::Separate => 1,
        }
    }

    /// Descriptors beyond the requests' sockets, for `count` requests.
    pub fn spare(self, count: u32) -> u64 {
        match self {
            Answerer::Embedded { .. } => {
                CLIENT_SPARE + EMBEDDED_SPARE + u64::from(self.ports(count))
            }
            Answerer::Separate => CLIENT_SPARE,
        }
    }

    /// Descriptors a run of `count` requests needs.
    pub fn needed(self, count: u32) -> u64 {
        u64::from(count) * self.per_request() + self.spare(count)
    }

    /// The largest `--count` whose run fits under `limit` descriptors (0 when none does).
    pub fn max_count(self, limit: u64) -> u32 {
        let spare = self.spare(1);
        let mut count =
            u32::try_from(limit.saturating_sub(spare) / self.per_request()).unwrap_or(u32::MAX);
        // More ports for more requests: step down until it fits.
        while count > 0 && self.needed(count) > limit {
            count -= 1;
        }
        count
    }
}

/// The address that a run crowds: more than [`REQUESTS_PER_PORT`]
/// connections open to it at once. Request `i` goes to `addrs[(i - 1) %
/// len]`; with `step_ms == 0` every answer is due at once and connections
/// do not pile up, so no address is crowded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crowded {
    /// The busiest address.
    pub addr: SocketAddr,
    /// Requests to it.
    pub requests: u32,
    /// Addresses the run would need to keep each under [`REQUESTS_PER_PORT`].
    pub spread_over: u32,
}

/// Which address, if any, a run of `count` requests over `addrs` crowds
/// (past about [`REQUESTS_PER_PORT`] open connections to one address,
/// `connect(2)` slows down as the kernel searches the ephemeral ports towards
/// it, which stalls the writer and inverts the answers: `xtask/BENCHMARKS.md`,
/// "Reading the evidence").
pub fn crowded(count: u32, step_ms: u64, addrs: &[SocketAddr]) -> Option<Crowded> {
    if step_ms == 0 || addrs.is_empty() {
        return None;
    }
    let mut per_addr: Vec<(SocketAddr, u32)> = Vec::new();
    let len = addrs.len() as u64;
    for (i, &addr) in addrs.iter().enumerate() {
        // Requests at indexes i, i + len, i + 2 len, ... below count.
        let n = (u64::from(count) + len - 1 - i as u64) / len;
        match per_addr.iter_mut().find(|(a, _)| *a == addr) {
            Some((_, m)) => *m += n as u32,
            None => per_addr.push((addr, n as u32)),
        }
    }
    let (addr, requests) = per_addr.into_iter().max_by_key(|&(_, n)| n)?;
    (requests > REQUESTS_PER_PORT).then_some(Crowded {
        addr,
        requests,
        spread_over: count.div_ceil(REQUESTS_PER_PORT),
    })
}

/// The refusal of a run of `count` requests under `limit`, or `None` when it
/// fits: what it needs, what fits now (here and against a separate server),
/// and the exact `ulimit -n` to run for this `count`.
pub fn refusal(count: u32, answerer: Answerer, limit: FdLimit) -> Option<String> {
    let needed = answerer.needed(count);
    if needed <= limit.soft {
        return None;
    }
    let mut s = format!(
        "--count {count} needs {needed} file descriptors ({} per request{}, plus {} spare), \
         but the open-file limit is {} (hard limit {}). ",
        answerer.per_request(),
        match answerer {
            Answerer::Embedded { .. } => ": both ends live in this process",
            Answerer::Separate => "",
        },
        answerer.spare(count),
        limit.soft,
        hard_text(limit.hard),
    );
    let here = answerer.max_count(limit.soft);
    let _ = match answerer {
        Answerer::Embedded { .. } => write!(
            s,
            "This limit fits --count {here}, or --count {} with --server against \
             `slow-client serve` in another process (which needs its own descriptors). ",
            Answerer::Separate.max_count(limit.soft)
        ),
        Answerer::Separate => write!(s, "This limit fits --count {here}. "),
    };
    let _ = write!(s, "For --count {count}, run `ulimit -n {needed}` first");
    if needed > limit.hard {
        let _ = write!(
            s,
            " (above the hard limit: as root, or after raising the hard limit in \
             /etc/security/limits.conf or with `prlimit`)"
        );
    }
    s.push('.');
    Some(s)
}

fn hard_text(hard: u64) -> String {
    if hard == u64::MAX {
        "unlimited".to_owned()
    } else {
        hard.to_string()
    }
}

/// Raises the soft open-file limit to the hard one (`setrlimit(RLIMIT_NOFILE)`)
/// and returns the limits now in force.
///
/// # Errors
/// `getrlimit(2)` or `setrlimit(2)` failed.
pub fn raise_fd_limit() -> io::Result<FdLimit> {
    os::raise_fd_limit()
}

/// Grows the fd table to hold `fds` descriptors now, before a second thread
/// exists (a later growth stalls a two-thread process). Best effort.
///
/// # Errors
/// `fcntl(2)` failed (e.g. `fds` is above the open-file limit).
pub fn grow_fd_table(fds: u64) -> io::Result<()> {
    os::grow_fd_table(fds)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMBEDDED: Answerer = Answerer::Embedded { ports: None };

    fn limit(soft: u64, hard: u64) -> FdLimit {
        FdLimit { soft, hard }
    }

    #[test]
    fn the_embedded_server_doubles_the_sockets_and_adds_its_spare_and_ports() {
        assert_eq!(EMBEDDED.needed(500), 1000 + 16 + 16 + 1);
        assert_eq!(EMBEDDED.needed(20_000), 40_000 + 32 + 3);
        assert_eq!(
            Answerer::Embedded { ports: Some(5) }.needed(10),
            20 + 32 + 5
        );
    }

    #[test]
    fn a_separate_server_counts_no_ports_and_no_server_spare() {
        assert_eq!(Answerer::Separate.needed(20_000), 20_016);
        assert_eq!(Answerer::Separate.ports(20_000), 0);
    }

    #[test]
    fn the_largest_count_is_the_last_that_fits() {
        for answerer in [
            EMBEDDED,
            Answerer::Separate,
            Answerer::Embedded { ports: Some(4) },
        ] {
            for soft in [0, 20, 64, 200, 1024, 65_536, 1_048_576] {
                let n = answerer.max_count(soft);
                if n > 0 {
                    assert!(answerer.needed(n) <= soft, "{answerer:?} {soft} {n}");
                }
                assert!(answerer.needed(n + 1) > soft, "{answerer:?} {soft} {n}");
            }
        }
        assert_eq!(Answerer::Separate.max_count(1024), 1008);
        assert_eq!(EMBEDDED.max_count(1024), 495);
    }

    #[test]
    fn more_than_8192_to_one_address_is_crowded_and_says_how_many_to_spread_over() {
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:8081".parse().unwrap();
        assert_eq!(crowded(8192, 1, &[a]), None);
        assert_eq!(
            crowded(19_900, 1, &[a]),
            Some(Crowded {
                addr: a,
                requests: 19_900,
                spread_over: 3
            })
        );
        // Spread over two addresses, 9,950 each: still crowded.
        assert_eq!(crowded(19_900, 1, &[a, b]).map(|c| c.requests), Some(9950));
        // The same address twice is still one address.
        assert_eq!(
            crowded(10_000, 1, &[a, a]).map(|c| c.requests),
            Some(10_000)
        );
        assert_eq!(crowded(16_384, 1, &[a, b]), None);
        assert_eq!(crowded(16_385, 1, &[a, b]).map(|c| c.requests), Some(8193));
    }

    #[test]
    fn step_zero_crowds_no_address() {
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(crowded(100_000, 0, &[a]), None);
    }

    #[test]
    fn a_run_that_fits_is_not_refused() {
        assert_eq!(refusal(495, EMBEDDED, limit(1024, 1024)), None);
        assert_eq!(refusal(1008, Answerer::Separate, limit(1024, 1024)), None);
    }

    #[test]
    fn an_embedded_refusal_says_what_fits_and_the_ulimit_to_run() {
        let msg = refusal(20_000, EMBEDDED, limit(1024, 1024)).unwrap();
        assert!(msg.contains("--count 20000 needs 40035 file descriptors (2 per request: both ends live in this process, plus 35 spare)"), "{msg}");
        assert!(msg.contains("limit is 1024 (hard limit 1024)"), "{msg}");
        assert!(
            msg.contains("This limit fits --count 495, or --count 1008 with --server"),
            "{msg}"
        );
        assert!(
            msg.contains("run `ulimit -n 40035` first (above the hard limit"),
            "{msg}"
        );
    }

    #[test]
    fn a_separate_server_refusal_never_advises_a_separate_server() {
        let msg = refusal(20_000, Answerer::Separate, limit(1024, 65_536)).unwrap();
        assert!(
            msg.contains("needs 20016 file descriptors (1 per request, plus 16 spare)"),
            "{msg}"
        );
        assert!(msg.contains("This limit fits --count 1008."), "{msg}");
        assert!(!msg.contains("--server"), "{msg}");
        assert!(msg.ends_with("run `ulimit -n 20016` first."), "{msg}");
    }
}
