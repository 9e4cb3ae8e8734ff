//! `slow-client serve` as a user runs it: the first line names the address,
//! a plain HTTP client gets its delayed 200, Ctrl-C stops it cleanly.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_prints_its_address_answers_after_the_delay_and_stops_on_sigint() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line names the address: {first:?}"));

    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    stream
        .write_all(b"GET /delay/200/url/http://www.google.com HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "never early"
    );
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stopped: 1 accepted, 1 answered"),
        "{stderr}"
    );
}

#[test]
fn serving_beyond_loopback_needs_allow_public() {
    let out = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a loopback address") && stderr.contains("--allow-public"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing was listening");
}

#[test]
fn a_url_pasted_from_the_browser_reaches_a_separate_server() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let run = Command::new(env!("CARGO_BIN_EXE_slow-client"))
        .args(["--server", &format!("http://{addr}/"), "--count", "2"])
        .args(["--step-ms", "0", "--json"])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(r#""ok":2,"#), "{stdout}");
}
