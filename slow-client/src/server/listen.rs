//! Listening sockets: loopback unless allowed otherwise, `SO_REUSEADDR`, deferred
//! accept, and the largest backlog the kernel allows.

use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd;

use socket2::{Domain, Protocol, Socket, Type};

use super::ServerError;

/// The backlog asked of `listen(2)`: `net.core.somaxconn`, the kernel's cap (asking for
/// more is silently cut to it), so a burst of thousands of connects never waits for a
/// SYN retransmission. Falls back to 4096, the default cap since Linux 5.4.
pub(crate) fn backlog() -> i32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(4096)
}

/// `TCP_DEFER_ACCEPT`: how long the kernel may hold a connection whose client has
/// sent nothing (the kernel rounds it up to its next SYN-ACK retransmission, 1 s).
pub(crate) const DEFER_ACCEPT_SECS: u32 = 1;

/// Whether `addr` is reachable only from this machine (IPv4-mapped IPv6 included).
pub(crate) fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().to_canonical().is_loopback()
}

/// Binds a non-blocking, close-on-exec listener on `addr`.
///
/// `SO_REUSEADDR` lets `serve` restart on its port at once while connections of the
/// previous run sit in `TIME_WAIT`; it does not let two live servers share a port.
pub(crate) fn listen(
    addr: SocketAddr,
    allow_public: bool,
    reuse_port: bool,
    defer: bool,
) -> Result<TcpListener, ServerError> {
    if !allow_public && !is_loopback(&addr) {
        return Err(ServerError::NotLoopback { addr });
    }
    let bind_err = |source| ServerError::Bind { addr, source };
    // socket2 creates the socket with SOCK_CLOEXEC.
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM.nonblocking(),
        Some(Protocol::TCP),
    )
    .map_err(bind_err)?;
    socket.set_reuse_address(true).map_err(bind_err)?;
    if reuse_port {
        socket.set_reuse_port(true).map_err(bind_err)?;
    }
    if addr.is_ipv6() {
        // `[::]` means IPv6 only, as written; IPv4 wants its own address.
        socket.set_only_v6(true).map_err(bind_err)?;
    }
    // Accepted sockets inherit it: a response goes out at once even while an earlier
    // one on the same connection waits for its ACK (pipelining, keep-alive), instead
    // of waiting up to a delayed-ACK timeout under Nagle's algorithm. Inheriting it
    // saves the setsockopt per connection that nginx's tcp_nodelay costs.
    socket.set_tcp_nodelay(true).map_err(bind_err)?;
    socket.bind(&addr.into()).map_err(bind_err)?;
    // Accepted sockets inherit this: each request's delay then runs from when the
    // kernel received it, not from when this loop got around to reading it (which,
    // with client and server sharing a CPU, can be milliseconds later). Best
    // effort: without it, the delay runs from the read, as before.
    let _ = crate::os::enable_receive_timestamps(socket.as_fd());
    // The kernel holds a new connection until its request arrives, so the loop is
    // woken once per connection, with the request there to read at once (`eager`),
    // instead of at the handshake's last ACK and again when the request lands: under
    // `Connection: close` that is 4 syscalls and almost no sleeps per request against
    // accept, `epoll_ctl`, a wakeup and a read more (the figures are in
    // `xtask/BENCHMARKS.md`). A client that sends nothing is accepted when the
    // deferral ends, [`DEFER_ACCEPT_SECS`] later; its header timeout runs from then.
    // Best effort: without it, connections are accepted at the handshake as before.
    if defer {
        let _ = crate::os::defer_accept(socket.as_fd(), DEFER_ACCEPT_SECS);
    }
    socket.listen(backlog()).map_err(bind_err)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_means_this_machine_only() {
        for addr in [
            "127.0.0.1:1",
            "127.8.9.10:1",
            "[::1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(is_loopback(&addr.parse().unwrap()), "{addr}");
        }
        for addr in [
            "0.0.0.0:1",
            "[::]:1",
            "192.168.1.2:1",
            "[::ffff:10.0.0.1]:1",
        ] {
            assert!(!is_loopback(&addr.parse().unwrap()), "{addr}");
        }
    }

    #[test]
    fn accepted_sockets_inherit_no_delay_from_the_listener() {
        let listener = listen("127.0.0.1:0".parse().unwrap(), false, false, false).unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = loop {
            match listener.accept() {
                Ok(pair) => break pair,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                Err(e) => panic!("{e}"),
            }
        };
        assert!(accepted.nodelay().unwrap());
    }

    #[test]
    fn a_connection_is_accepted_once_its_first_bytes_arrive() {
        use std::io::{ErrorKind, Read, Write};
        use std::time::{Duration, Instant};
        let listener = listen("127.0.0.1:0".parse().unwrap(), false, false, true).unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        // The handshake is done, the request not sent: the kernel still holds it
        // (for a second, far longer than this).
        std::thread::sleep(Duration::from_millis(50));
        let held = listener.accept().map(|_| ()).map_err(|e| e.kind());
        assert_eq!(held, Err(ErrorKind::WouldBlock));
        client.write_all(b"G").unwrap();
        let started = Instant::now();
        let (mut accepted, _) = loop {
            match listener.accept() {
                Ok(pair) => break pair,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    assert!(
                        started.elapsed() < Duration::from_secs(10),
                        "never accepted"
                    );
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => panic!("{e}"),
            }
        };
        accepted.set_nonblocking(false).unwrap();
        let mut first = [0u8; 1];
        accepted.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"G");
    }

    #[test]
    fn reuse_port_lets_two_listeners_share_an_address_and_only_then() {
        let first = listen("127.0.0.1:0".parse().unwrap(), false, true, true).unwrap();
        let addr = first.local_addr().unwrap();
        assert!(listen(addr, false, true, true).is_ok());
        let plain = listen("127.0.0.1:0".parse().unwrap(), false, false, true).unwrap();
        let taken = plain.local_addr().unwrap();
        assert!(matches!(
            listen(taken, false, false, true),
            Err(ServerError::Bind { .. })
        ));
    }

    #[test]
    fn backlog_is_the_kernel_cap() {
        let cap = std::fs::read_to_string("/proc/sys/net/core/somaxconn").unwrap();
        assert_eq!(backlog(), cap.trim().parse::<i32>().unwrap());
    }
}
