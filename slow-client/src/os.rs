//! The few system calls with no safe wrapper in std, epoll-safe or socket2.
//!
//! This is the only module of slow-client allowed to use `unsafe`.
#![allow(unsafe_code)]

use std::io;
use std::time::Duration;

/// The process's open-file limits (`RLIMIT_NOFILE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimit {
    /// The limit in force.
    pub soft: u64,
    /// The most an unprivileged process may raise it to.
    pub hard: u64,
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the limits now in force.
///
/// # Errors
/// `getrlimit(2)` or `setrlimit(2)` failed.
pub fn raise_fd_limit() -> io::Result<FdLimit> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit that outlives the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    Ok(FdLimit {
        soft: lim.rlim_cur,
        hard: lim.rlim_max,
    })
}

/// CPU time and peak memory of this process so far (`getrusage(RUSAGE_SELF)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Time spent in user mode.
    pub user: Duration,
    /// Time spent in the kernel on the process's behalf.
    pub system: Duration,
    /// Peak resident set size, in KiB.
    pub max_rss_kib: u64,
}

/// Reads this process's resource usage.
///
/// # Errors
/// `getrusage(2)` failed.
pub fn usage() -> io::Result<Usage> {
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let tv =
        |t: libc::timeval| Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000);
    Ok(Usage {
        user: tv(ru.ru_utime),
        system: tv(ru.ru_stime),
        max_rss_kib: ru.ru_maxrss.max(0) as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_the_fd_limit_reaches_the_hard_limit() {
        let lim = raise_fd_limit().unwrap();
        assert_eq!(lim.soft, lim.hard);
    }

    #[test]
    fn usage_reports_some_memory() {
        assert!(usage().unwrap().max_rss_kib > 0);
    }
}
