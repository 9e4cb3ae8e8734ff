//! After any run, successful or not, every socket the client opened is closed.
//!
//! One test in its own binary, so no other test's descriptors move the count.

mod util;

use slow_client::client::{self, ClientConfig, Target};
use slow_client::http::ResponseLimits;
use slow_client::plan::PathTemplate;
use slow_client::report::{Format, Reporter};
use slow_client::server::{Framing, Server, ServerConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use util::fault_server::{self, Fault};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Waits (bounded) for the count to come back: test-side server threads
/// close their ends a moment after the client is done.
fn settles_to(expected: usize) -> usize {
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        let now = open_fds();
        if now <= expected || Instant::now() > until {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(addr: SocketAddr, count: u32, path: &str, timeout: Duration) -> String {
    let config = ClientConfig {
        targets: vec![Target {
            addr,
            host: addr.to_string(),
        }],
        count,
        step_ms: 10,
        path: PathTemplate::parse(path).unwrap(),
        timeout,
        limits: ResponseLimits::default(),
        max_connecting: 4,
        trace_events: false,
    };
    let mut out = Vec::new();
    let mut reporter = Reporter::new(&mut out, Format::Json, count, Instant::now());
    client::run(&config, None, &mut reporter).unwrap();
    reporter.finish(Duration::ZERO, false, None).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_socket_is_closed_after_successful_failed_and_timed_out_runs() {
    let faults = vec![
        Fault::Ok,
        Fault::ResetBeforeAnyByte,
        Fault::GarbageStatusLine,
        Fault::ShortBody,
        Fault::BadChunkSize,
        Fault::NeverAnswer,
        Fault::Trickle,
    ];
    let fault_addr = fault_server::start(faults.clone());
    let framings = [Framing::Length, Framing::Chunked, Framing::Close];
    let servers: Vec<_> = framings
        .iter()
        .map(|&framing| {
            Server::bind(ServerConfig {
                framing,
                ..ServerConfig::default()
            })
            .unwrap()
            .spawn()
            .unwrap()
        })
        .collect();
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let before = open_fds();

    for server in &servers {
        let out = run(
            server.local_addrs()[0],
            20,
            "/delay/{ms}",
            Duration::from_secs(10),
        );
        assert!(out.contains(r#""ok":20"#), "{out}");
    }
    let out = run(
        fault_addr,
        faults.len() as u32,
        "/fault/{id}",
        Duration::from_millis(500),
    );
    assert!(out.contains(r#""kind":"timeout""#), "{out}");
    let out = run(refused, 5, "/delay/{ms}", Duration::from_secs(5));
    assert!(out.contains(r#""kind":"connect_refused""#), "{out}");

    // The fault server still holds its `NeverAnswer` end for a few seconds:
    // that one descriptor is the test's, not the client's.
    let after = settles_to(before + 1);
    assert!(
        after <= before + 1,
        "client leaked descriptors: {before} before, {after} after"
    );
    for server in servers {
        server.stop().unwrap();
    }
}
