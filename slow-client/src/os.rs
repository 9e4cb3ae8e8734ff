//! The few system calls with no safe wrapper in std, epoll-safe or socket2.
//!
//! This is the only module of slow-client allowed to use `unsafe`.
#![allow(unsafe_code)]

use std::io;
use std::mem::{size_of, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The process's open-file limits (`RLIMIT_NOFILE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimit {
    /// The limit in force.
    pub soft: u64,
    /// The most an unprivileged process may raise it to.
    pub hard: u64,
}

/// The open-file limits in force (`getrlimit(RLIMIT_NOFILE)`); `RLIM_INFINITY`
/// reads as `u64::MAX`.
///
/// # Errors
/// `getrlimit(2)` failed.
pub fn fd_limit() -> io::Result<FdLimit> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(FdLimit {
        soft: lim.rlim_cur,
        hard: lim.rlim_max,
    })
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit and returns the limits now in force.
///
/// # Errors
/// `getrlimit(2)` or `setrlimit(2)` failed.
pub fn raise_fd_limit() -> io::Result<FdLimit> {
    let lim = fd_limit()?;
    if lim.soft < lim.hard {
        let raised = libc::rlimit {
            rlim_cur: lim.hard,
            rlim_max: lim.hard,
        };
        // SAFETY: `raised` is a valid rlimit that outlives the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(FdLimit {
                soft: lim.hard,
                hard: lim.hard,
            });
        }
    }
    Ok(lim)
}

/// Grows this process's file descriptor table to hold at least `fds`
/// descriptors, by duplicating stdin's slot to a high number and closing it.
///
/// The kernel doubles the table as descriptors are opened, and in a process
/// with more than one thread each doubling waits for an RCU grace period
/// (`expand_fdtable`), a stall of milliseconds at each power of two (the
/// figures are in `xtask/BENCHMARKS.md`, "Reading the evidence"). Growing it
/// once, before any thread starts, moves that cost out of the run. Best effort: the caller may ignore the error.
///
/// # Errors
/// `fcntl(2)` failed (e.g. `fds` is above the open-file limit).
pub fn grow_fd_table(fds: u64) -> io::Result<()> {
    let Ok(high) = libc::c_int::try_from(fds.saturating_sub(1)) else {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    };
    // SAFETY: F_DUPFD_CLOEXEC only reads its fd argument (0 may even be closed,
    // then this fails with EBADF) and returns a new descriptor we own.
    let fd = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, high) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned to us and nothing else refers to it.
    drop(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
    Ok(())
}

/// CPU time and peak memory of this process so far (`getrusage(RUSAGE_SELF)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Time spent in user mode.
    pub user: Duration,
    /// Time spent in the kernel on the process's behalf.
    pub system: Duration,
    /// Peak resident set size, in KiB (`VmHWM`).
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
        // `ru_maxrss` survives execve(2): a client started by a large process
        // would report its parent's peak. `VmHWM` belongs to this image alone.
        max_rss_kib: peak_rss_kib().unwrap_or(ru.ru_maxrss.max(0) as u64),
    })
}

/// `VmHWM` from `/proc/self/status`: this process image's peak resident set, in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Asks the kernel to stamp each received packet with its arrival time
/// (`SO_TIMESTAMPNS`), read back by [`recv_timestamped`]. Set on a listening
/// socket, accepted sockets inherit it.
///
/// # Errors
/// `setsockopt(2)` failed.
pub fn enable_receive_timestamps(fd: BorrowedFd<'_>) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: `fd` is open for the call; `on` is a live c_int and the length says so.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Asks the kernel to queue a new connection for `accept` only once its first
/// data has arrived (`TCP_DEFER_ACCEPT`, for `secs` seconds), so an accept finds
/// the request already there. Set on a listening socket. A client that sends
/// nothing is still accepted, once the deferral ends (the kernel then resends
/// its SYN-ACK and the client's ACK completes the connection).
///
/// # Errors
/// `setsockopt(2)` failed.
pub fn defer_accept(fd: BorrowedFd<'_>, secs: u32) -> io::Result<()> {
    let secs = libc::c_int::try_from(secs).unwrap_or(libc::c_int::MAX);
    // SAFETY: `fd` is open for the call; `secs` is a live c_int and the length says so.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            (&secs as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `recvmsg(2)` into `buf`, returning the bytes read and, when the socket has
/// [`enable_receive_timestamps`] on, when the kernel received the data
/// (`None` when the kernel did not stamp it, e.g. just after enabling).
///
/// # Errors
/// As `read(2)` on a socket (`WouldBlock`, `ConnectionReset`, …).
pub fn recv_timestamped(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
) -> io::Result<(usize, Option<SystemTime>)> {
    // Room for one timespec control message, aligned for cmsghdr.
    let mut control = [MaybeUninit::<u64>::uninit(); 8];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of::<[u64; 8]>() as _;
    let n = loop {
        // SAFETY: `fd` is open; `msg` points at `iov` (covering `buf`) and
        // `control`, all live and writable for the whole call.
        let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n as usize;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    };
    Ok((n, receive_timestamp(&msg)))
}

/// The `SCM_TIMESTAMPNS` stamp in `msg`'s control data, if a complete one is
/// there: none when the kernel truncated the control data (`MSG_CTRUNC`) or a
/// header's `cmsg_len` is too short to hold a `timespec`.
///
/// `msg` must come from a successful `recvmsg(2)` (or be built the same way):
/// `msg_control` points at `msg_controllen` readable bytes.
fn receive_timestamp(msg: &libc::msghdr) -> Option<SystemTime> {
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return None; // the stamp may be the part that did not fit
    }
    // SAFETY: a constant computation on a length, no memory is touched.
    let full_len = unsafe { libc::CMSG_LEN(size_of::<libc::timespec>() as u32) } as usize;
    let mut stamp = None;
    // SAFETY: the CMSG macros walk only the `msg_controllen` bytes at
    // `msg_control`, which the caller promises are readable.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !cmsg.is_null() {
        // SAFETY: non-null headers from CMSG_FIRSTHDR/NXTHDR lie within the control data.
        let hdr = unsafe { cmsg.read_unaligned() };
        // Where the header starts within the control data: a `cmsg_len` that
        // claims more than the buffer holds is refused, so the read below never
        // leaves `msg_control` even for a hand-built header.
        let offset = (cmsg as usize).wrapping_sub(msg.msg_control as usize);
        #[allow(clippy::unnecessary_cast)] // socklen_t (u32) on musl, usize on glibc
        let fits = offset.saturating_add(full_len) <= msg.msg_controllen as usize;
        if hdr.cmsg_level == libc::SOL_SOCKET
            && hdr.cmsg_type == libc::SCM_TIMESTAMPNS
            && hdr.cmsg_len as usize >= full_len
            && fits
        {
            // SAFETY: `cmsg` is a valid header within the control data (as above).
            let data = unsafe { libc::CMSG_DATA(cmsg) };
            // SAFETY: `cmsg_len` covers a whole timespec at `data`, and `fits`
            // checked that it ends inside the `msg_controllen` bytes; read
            // unaligned, as only cmsghdr alignment is promised.
            let ts = unsafe { data.cast::<libc::timespec>().read_unaligned() };
            if let (Ok(secs), Ok(nanos)) = (u64::try_from(ts.tv_sec), u32::try_from(ts.tv_nsec)) {
                stamp = UNIX_EPOCH.checked_add(Duration::new(secs, nanos));
            }
        }
        // SAFETY: as above; returns null after the last header.
        cmsg = unsafe { libc::CMSG_NXTHDR(msg, cmsg) };
    }
    stamp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A msghdr over `control` holding one SOL_SOCKET/SCM_TIMESTAMPNS header
    /// of `cmsg_len` bytes stamped 5.000000007 s after the epoch.
    fn stamped(control: &mut [u64; 8], cmsg_len: usize, flags: libc::c_int) -> libc::msghdr {
        // SAFETY: msghdr is plain old data; all-zero is a valid empty header.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = size_of::<[u64; 8]>() as _;
        msg.msg_flags = flags;
        // SAFETY: `control` is 64 writable bytes, room for the header and a timespec.
        let cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
        let hdr = libc::cmsghdr {
            cmsg_len: cmsg_len as _,
            cmsg_level: libc::SOL_SOCKET,
            cmsg_type: libc::SCM_TIMESTAMPNS,
        };
        // SAFETY: `cmsg` points at the start of `control`, aligned for cmsghdr.
        unsafe { cmsg.write(hdr) };
        let ts = libc::timespec {
            tv_sec: 5,
            tv_nsec: 7,
        };
        // SAFETY: `cmsg` is a valid header at the start of `control`.
        let data = unsafe { libc::CMSG_DATA(cmsg) };
        // SAFETY: the header's data lies inside `control` with room for a timespec.
        unsafe { data.cast::<libc::timespec>().write_unaligned(ts) };
        msg.msg_controllen = cmsg_len as _;
        msg
    }

    #[test]
    fn a_complete_timestamp_message_is_read() {
        // SAFETY: a constant computation on a length.
        let len = unsafe { libc::CMSG_LEN(size_of::<libc::timespec>() as u32) } as usize;
        let mut control = [0u64; 8];
        let msg = stamped(&mut control, len, 0);
        assert_eq!(
            receive_timestamp(&msg),
            Some(UNIX_EPOCH + Duration::new(5, 7))
        );
    }

    #[test]
    fn a_short_or_truncated_timestamp_message_is_ignored() {
        // SAFETY: constant computations on lengths.
        let len = unsafe { libc::CMSG_LEN(size_of::<libc::timespec>() as u32) } as usize;
        let mut control = [0u64; 8];
        let short = stamped(&mut control, len - 1, 0);
        assert_eq!(receive_timestamp(&short), None);
        let mut control = [0u64; 8];
        let truncated = stamped(&mut control, len, libc::MSG_CTRUNC);
        assert_eq!(receive_timestamp(&truncated), None);
    }

    #[test]
    fn a_header_claiming_more_than_the_control_data_holds_is_ignored() {
        // SAFETY: a constant computation on a length.
        let len = unsafe { libc::CMSG_LEN(size_of::<libc::timespec>() as u32) } as usize;
        let mut control = [0u64; 8];
        let mut msg = stamped(&mut control, len, 0);
        // The header (16 bytes) fits, the timespec it claims does not.
        msg.msg_controllen = (size_of::<libc::cmsghdr>() + 4) as _;
        assert_eq!(receive_timestamp(&msg), None);
    }

    #[test]
    fn the_fd_limit_reads_soft_below_hard() {
        let lim = fd_limit().unwrap();
        assert!(lim.soft <= lim.hard, "{lim:?}");
        assert!(lim.soft > 0);
    }

    #[test]
    fn raising_the_fd_limit_reaches_the_hard_limit() {
        let lim = raise_fd_limit().unwrap();
        assert_eq!(lim.soft, lim.hard);
    }

    #[test]
    fn usage_reports_some_memory() {
        assert!(usage().unwrap().max_rss_kib > 0);
    }

    #[test]
    fn received_data_carries_its_arrival_time() {
        use std::io::Write;
        use std::os::fd::AsFd;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        enable_receive_timestamps(listener.as_fd()).unwrap();
        // The kernel switches packet stamping on through a static key, possibly
        // from a work queue: packets in the first moments may go unstamped
        // (callers then fall back to the read time).
        std::thread::sleep(Duration::from_millis(50));
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let before = SystemTime::now();
        client.write_all(b"ping").unwrap();
        std::thread::sleep(Duration::from_millis(30));
        let mut buf = [0u8; 16];
        let (n, stamp) = recv_timestamped(server.as_fd(), &mut buf).unwrap();
        let after = SystemTime::now();
        assert_eq!(&buf[..n], b"ping");
        let stamp = stamp.expect("accepted socket inherits SO_TIMESTAMPNS");
        // Stamped on arrival, not when read 30 ms later (a little clock slack allowed).
        assert!(
            stamp + Duration::from_millis(1) >= before,
            "{stamp:?} vs {before:?}"
        );
        assert!(after.duration_since(stamp).unwrap() >= Duration::from_millis(25));
    }
}
