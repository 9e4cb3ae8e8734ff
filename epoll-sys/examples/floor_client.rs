//! The floor: the leanest client that does slow-client's work, for the bench
//! to measure slow-client against (`cargo xtask bench floor`).
//!
//! One thread, one epoll instance, raw `epoll-sys` and `libc`. Request `i`
//! (1..=count) sends slow-client's exact request bytes (`Connection: close`)
//! asking for `(count - i) * step` ms, to `--server` `(i - 1) % servers`. Per
//! request it spends the least the kernel allows:
//!
//! ```text
//! socket  connect (EINPROGRESS)  epoll_ctl ADD (once: OUT|IN|RDHUP|ET)
//! sendto (when the connect's EPOLLOUT arrives)
//! read (when IN|RDHUP arrives: the whole answer, and RDHUP says no more comes)
//! close (removes it from the epoll set: no EPOLL_CTL_DEL)
//! ```
//!
//! plus its share of `epoll_wait` calls. No parsing (it counts the bytes up
//! to the end of the stream: a request completes when at least one byte came
//! before the end), no per-request output, no ordering of writes (each
//! request goes out as soon as its connect completes). At most
//! `--max-connecting` connects are in flight at once (slow-client's default,
//! 512), so a burst never overflows the server's accept queue.
//!
//! It prints one line, for the bench to check that the work was done:
//!
//! ```text
//! floor: completed 9000 failed 0 elapsed_ms 412.345 cpu_user_ms 20.1 cpu_sys_ms 501.2 response_bytes 1458000
//! ```
//!
//! The CPU times are `getrusage(RUSAGE_SELF)` at the end, as slow-client's
//! `--json` summary reports its own. Exit status 0 when every request
//! completed, 1 when some failed, 2 on bad usage or setup.
//!
//! ```text
//! slow-client serve --listen 127.0.0.1:0 &      # prints `listening on IP:PORT`
//! cargo run --release -p epoll-sys --example floor_client -- \
//!     --server 127.0.0.1:PORT --count 9000 --step-ms 0
//! ```

use epoll_sys::{
    epoll_create1, epoll_ctl, epoll_event, epoll_wait, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN,
    EPOLLOUT, EPOLLRDHUP, EPOLL_CLOEXEC, EPOLL_CTL_ADD,
};
use std::ffi::c_int;
use std::io::{self, Write as _};
use std::mem::{size_of, zeroed};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: floor_client --server IP:PORT [--server IP:PORT ...] --count N \
                     --step-ms MS [--max-connecting N] [--timeout SECS]";
/// slow-client's default request path, `/delay/{ms}/url/http://www.google.com`,
/// before and after `{ms}`.
const PATH_HEAD: &str = "/delay/";
const PATH_TAIL: &str = "/url/http://www.google.com";
/// Events per `epoll_wait`, as slow-client's loop.
const MAX_EVENTS: usize = 1024;
/// One read buffer for all connections, as slow-client's.
const READ_BUF: usize = 64 * 1024;

/// What the command line asks for.
#[derive(Debug)]
struct Args {
    servers: Vec<SocketAddr>,
    count: u32,
    step_ms: u64,
    max_connecting: usize,
    timeout: Option<Duration>,
}

/// Where one request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The connect is under way (or not started: then `fd < 0`).
    Connecting,
    /// Connected; this many bytes of the request are written.
    Sending(usize),
    /// The request is written; reading the answer.
    Receiving,
}

/// One request's socket: `fd < 0` before the connect and after the close.
#[derive(Debug, Clone, Copy)]
struct Conn {
    fd: c_int,
    phase: Phase,
    /// Bytes of the response read so far.
    read: u64,
}

/// How a run went.
#[derive(Debug, Default)]
struct Tally {
    completed: u32,
    failed: u32,
    response_bytes: u64,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let tally = match run(&args) {
        Ok(tally) => tally,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (user_ms, sys_ms) = cpu_ms();
    println!(
        "floor: completed {} failed {} elapsed_ms {elapsed_ms:.3} cpu_user_ms {user_ms:.3} \
         cpu_sys_ms {sys_ms:.3} response_bytes {}",
        tally.completed, tally.failed, tally.response_bytes
    );
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `Ok(None)` asks for help.
fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        servers: Vec::new(),
        count: 0,
        step_ms: 0,
        max_connecting: 512,
        timeout: None,
    };
    let mut count = None;
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag} {value:?}: expected {what}");
        match flag.as_str() {
            "--server" => args
                .servers
                .push(value.parse().map_err(|_| bad("IP:PORT"))?),
            "--count" => count = Some(value.parse().map_err(|_| bad("a whole number"))?),
            "--step-ms" => args.step_ms = value.parse().map_err(|_| bad("milliseconds"))?,
            "--max-connecting" => {
                args.max_connecting = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| bad("a number above 0"))?;
            }
            "--timeout" => {
                let secs: f64 = value.parse().map_err(|_| bad("seconds"))?;
                args.timeout = Some(Duration::try_from_secs_f64(secs).map_err(|_| bad("seconds"))?);
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    args.count = count.ok_or("--count is required")?;
    if args.servers.is_empty() {
        return Err("at least one --server is required".into());
    }
    Ok(Some(args))
}

/// Runs every request to its end.
fn run(args: &Args) -> io::Result<Tally> {
    raise_fd_limit();
    let epfd = check(
        // SAFETY: epoll_create1 takes no pointers; EPOLL_CLOEXEC is a valid flag.
        unsafe { epoll_create1(EPOLL_CLOEXEC) },
    )?;
    let longest = plan_delay(args.count, 1, args.step_ms);
    let timeout = args
        .timeout
        .unwrap_or(Duration::from_millis(longest).saturating_add(Duration::from_secs(30)));
    let deadline = Instant::now() + timeout;
    let hosts: Vec<String> = args.servers.iter().map(SocketAddr::to_string).collect();
    let addrs: Vec<(libc::sockaddr_storage, libc::socklen_t)> =
        args.servers.iter().map(sockaddr).collect();
    let idle = Conn {
        fd: -1,
        phase: Phase::Connecting,
        read: 0,
    };
    let mut conns = vec![idle; args.count as usize];
    let mut events = vec![epoll_event { events: 0, data: 0 }; MAX_EVENTS];
    let mut buf = vec![0u8; READ_BUF];
    let mut request = Vec::with_capacity(256);
    let mut tally = Tally::default();
    let (mut next, mut connecting, mut open) = (0usize, 0usize, 0usize);
    while next < conns.len() || open > 0 {
        while next < conns.len() && connecting < args.max_connecting {
            let (addr, len) = &addrs[next % addrs.len()];
            match connect(epfd, addr, *len, next as u64) {
                Ok(fd) => {
                    conns[next].fd = fd;
                    (connecting, open) = (connecting + 1, open + 1);
                }
                Err(_) => tally.failed += 1,
            }
            next += 1;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let wait_ms = c_int::try_from(left.as_millis().max(1)).unwrap_or(c_int::MAX);
        // SAFETY: `events` holds MAX_EVENTS writable epoll_event slots, and
        // the kernel writes at most `maxevents` of them.
        let n = unsafe { epoll_wait(epfd, events.as_mut_ptr(), MAX_EVENTS as c_int, wait_ms) };
        let n = match check(n) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for ev in &events[..n] {
            let (flags, index) = (ev.events, ev.data as usize);
            let conn = &mut conns[index];
            if conn.fd < 0 {
                continue;
            }
            if conn.phase == Phase::Connecting {
                connecting -= 1;
                if flags & (EPOLLERR | EPOLLHUP) != 0 {
                    finish(conn, false, &mut tally, &mut open);
                    continue;
                }
                conn.phase = Phase::Sending(0);
            }
            if let Phase::Sending(written) = conn.phase {
                let id = index as u32 + 1;
                build_request(&mut request, &hosts[index % hosts.len()], id, args);
                match send(conn.fd, &request[written..]) {
                    Ok(n) if written + n == request.len() => conn.phase = Phase::Receiving,
                    Ok(n) => conn.phase = Phase::Sending(written + n),
                    Err(_) => finish(conn, false, &mut tally, &mut open),
                }
                continue;
            }
            if let Some(ok) = receive(conn, flags, &mut buf) {
                finish(conn, ok, &mut tally, &mut open);
            }
        }
    }
    // Whatever is still open missed the deadline.
    for conn in conns.iter_mut().filter(|c| c.fd >= 0) {
        finish(conn, false, &mut tally, &mut open);
    }
    tally.failed += (conns.len() - next) as u32;
    close(epfd);
    Ok(tally)
}

/// `(count - id) * step_ms`, as slow-client's plan.
fn plan_delay(count: u32, id: u32, step_ms: u64) -> u64 {
    u64::from(count.saturating_sub(id)).saturating_mul(step_ms)
}

/// slow-client's request head, byte for byte (`slow_client::plan::write_request`
/// with the default path).
fn build_request(out: &mut Vec<u8>, host: &str, id: u32, args: &Args) {
    out.clear();
    let delay = plan_delay(args.count, id, args.step_ms);
    let _ = write!(
        out,
        "GET {PATH_HEAD}{delay}{PATH_TAIL} HTTP/1.1\r\nHost: {host}\r\n\
         User-Agent: slow-client/{}\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
}

/// Writes as much of `rest` as the socket takes and says how much that
/// was; a short write waits for the next EPOLLOUT edge.
fn send(fd: c_int, rest: &[u8]) -> io::Result<usize> {
    let mut sent = 0;
    while sent < rest.len() {
        let part = &rest[sent..];
        // SAFETY: `part` is valid for reads of `part.len()` bytes for the call.
        let n = unsafe { libc::send(fd, part.as_ptr().cast(), part.len(), libc::MSG_NOSIGNAL) };
        match check_size(n) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

/// Reads what the socket has; `Some(ok)` when the request ended.
fn receive(conn: &mut Conn, flags: u32, buf: &mut [u8]) -> Option<bool> {
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the call.
        let n = unsafe { libc::read(conn.fd, buf.as_mut_ptr().cast(), buf.len()) };
        match check_size(n) {
            Ok(0) => return Some(conn.read > 0),
            Ok(n) => {
                conn.read += n as u64;
                // The peer's FIN came with this event, so a short read took
                // everything it sent: no read is spent to see the end.
                if n < buf.len() {
                    return (flags & EPOLLRDHUP != 0).then_some(true);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Some(false),
        }
    }
}

/// Closes the socket (which also removes it from the epoll set) and counts it.
fn finish(conn: &mut Conn, ok: bool, tally: &mut Tally, open: &mut usize) {
    close(conn.fd);
    conn.fd = -1;
    *open -= 1;
    if ok {
        tally.completed += 1;
        tally.response_bytes += conn.read;
    } else {
        tally.failed += 1;
    }
}

/// A non-blocking socket, connecting to `addr`, registered once with `token`.
fn connect(
    epfd: c_int,
    addr: &libc::sockaddr_storage,
    len: libc::socklen_t,
    token: u64,
) -> io::Result<c_int> {
    let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes no pointers.
    let fd = check(unsafe { libc::socket(c_int::from(addr.ss_family), kind, 0) })?;
    // SAFETY: `addr` is a sockaddr_storage holding a sockaddr of `len` bytes.
    let rc = unsafe { libc::connect(fd, (addr as *const libc::sockaddr_storage).cast(), len) };
    if let Err(e) = check(rc) {
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            close(fd);
            return Err(e);
        }
    }
    let mut event = epoll_event {
        events: EPOLLOUT | EPOLLIN | EPOLLRDHUP | EPOLLET,
        data: token,
    };
    // SAFETY: `event` is a valid epoll_event that outlives the call.
    if let Err(e) = check(unsafe { epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &mut event) }) {
        close(fd);
        return Err(e);
    }
    Ok(fd)
}

/// The C form of `addr`.
fn sockaddr(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all zeroes is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// Raises the soft open-file limit to the hard one (best effort): a
/// 9,000-request burst holds 9,000 sockets.
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 && lim.rlim_cur < lim.rlim_max
    {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit that outlives the call.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
}

/// User and system CPU time of this process, in milliseconds.
fn cpu_ms() -> (f64, f64) {
    // SAFETY: rusage is plain data; all zeroes is a valid value.
    let mut ru: libc::rusage = unsafe { zeroed() };
    // SAFETY: `ru` is a valid, writable rusage for the duration of the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (f64::NAN, f64::NAN);
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    (ms(ru.ru_utime), ms(ru.ru_stime))
}

fn close(fd: c_int) {
    // SAFETY: `fd` is a descriptor this program opened and closes once.
    unsafe { libc::close(fd) };
}

fn check(rc: c_int) -> io::Result<c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn check_size(rc: isize) -> io::Result<usize> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}
