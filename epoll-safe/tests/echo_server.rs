//! Runs `examples/echo_server.rs` as a process, sends it many concurrent
//! clients (bounded: 32 clients of 256 KiB each, every read with a timeout),
//! checks that every byte comes back in order, then stops it with SIGINT.
//!
//! The example is compiled into this test (`#[path]` below), so it is built
//! with exactly the features, profile and target under test; no nested
//! `cargo build`. The server runs as a child process (it blocks signals for
//! its whole process and is stopped with SIGINT): this binary re-executes
//! itself with [`SERVER`] set, and then runs the example's `main` as its own.
//! So the test has its own `main` (`harness = false` in Cargo.toml) rather
//! than libtest's, whose threads would take the SIGINT meant for the server.

#[path = "../examples/echo_server.rs"]
mod example;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
const BYTES_PER_CLIENT: usize = 256 * 1024;
const PATIENCE: Duration = Duration::from_secs(30);

/// Set in the child that is the server.
const SERVER: &str = "EPOLL_SAFE_TEST_ECHO_SERVER";
const NAME: &str = "echo_server_returns_every_byte_to_concurrent_clients_and_stops_on_sigint";

fn main() -> ExitCode {
    if std::env::var_os(SERVER).is_some() {
        return match example::main() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("echo server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Enough of libtest's command line for `cargo test` and its filters.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{NAME}: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| NAME.contains(f)) {
        println!("running 0 tests (filtered out: {NAME})");
        return ExitCode::SUCCESS;
    }
    println!("running 1 test");
    echo_server_returns_every_byte_to_concurrent_clients_and_stops_on_sigint();
    println!("test {NAME} ... ok\n\ntest result: ok. 1 passed; 0 failed");
    ExitCode::SUCCESS
}

/// Kills the server if the test fails half-way.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A byte pattern that differs per client and per position, so a byte from
/// the wrong connection or the wrong place is caught.
fn payload(client: usize) -> Vec<u8> {
    (0..BYTES_PER_CLIENT)
        .map(|i| (i.wrapping_mul(31) ^ client.wrapping_mul(131) ^ (i >> 8)) as u8)
        .collect()
}

fn echo_one(addr: SocketAddr, client: usize) {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    let data = payload(client);
    let mut writer = stream.try_clone().unwrap();
    let sent = data.clone();
    // Write in odd-sized chunks while this thread reads: neither side can
    // fill the other's buffers and stall.
    let w = thread::spawn(move || {
        for chunk in sent.chunks(7_919) {
            writer.write_all(chunk).expect("write");
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::with_capacity(BYTES_PER_CLIENT);
    (&stream).read_to_end(&mut back).expect("read back");
    w.join().unwrap();
    assert_eq!(back.len(), data.len(), "client {client}: length");
    assert!(back == data, "client {client}: bytes differ");
}

fn echo_server_returns_every_byte_to_concurrent_clients_and_stops_on_sigint() {
    let child = Command::new(std::env::current_exe().expect("test binary path"))
        .env(SERVER, "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the echo server");
    let mut server = Server(child);
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();

    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| thread::spawn(move || echo_one(addr, client)))
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }

    // A client that hangs up at once must not disturb the server.
    drop(TcpStream::connect(addr).unwrap());
    echo_one(addr, CLIENTS);

    let pid = server.0.id() as libc::pid_t;
    // SAFETY: signals the child process this test started and still owns.
    let rc = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server ignored SIGINT");
        thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    // The server names the signal and its sender: this test process.
    assert_eq!(
        rest,
        format!("stopping on SIGINT from pid {}\n", std::process::id())
    );
}
