//! The server against a client nobody here wrote: Python's standard library
//! (`http.client`, `socket`), run as `python3`. Skipped, saying so, where there is no
//! `python3`.

use super::*;
use std::process::Command;

/// Runs `script` with the server's address as `sys.argv[1]`; its stdout, or `None`
/// when there is no `python3` here.
fn python(addr: SocketAddr, script: &str) -> Option<String> {
    let out = match Command::new("python3")
        .args(["-c", script, &addr.to_string()])
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            eprintln!("skipped: no python3 ({e})");
            return None;
        }
        Err(e) => panic!("python3: {e}"),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python3 failed: {stderr}");
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

const PRELUDE: &str = "import http.client, socket, sys, time\n\
host, port = sys.argv[1].rsplit(':', 1)\n\
def conn():\n    return http.client.HTTPConnection(host, int(port), timeout=10)\n";

#[test]
fn python_sees_400_without_host_the_location_as_written_and_the_preflight() {
    let server = start(config(Framing::Length));
    let script = format!(
        "{PRELUDE}\
c = conn()\n\
c.putrequest('GET', '/delay/0', skip_host=True)\n\
c.endheaders()\n\
r = c.getresponse(); r.read()\n\
print('nohost', r.status, r.getheader('Access-Control-Allow-Origin'))\n\
c = conn()\n\
c.request('GET', '/delay/0/url/http://e.com/100%25?q=a%26b%23c')\n\
r = c.getresponse(); r.read()\n\
print('location', r.status, r.getheader('Location'))\n\
c = conn()\n\
c.request('OPTIONS', '/delay/100', headers={{'Origin': 'http://page.example', \
'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-trace'}})\n\
r = c.getresponse(); r.read()\n\
print('preflight', r.status, r.getheader('Access-Control-Allow-Methods'), \
r.getheader('Access-Control-Allow-Origin'))\n\
c.request('GET', '/delay/0')\n\
r = c.getresponse(); r.read()\n\
print('after', r.status)\n"
    );
    let Some(out) = python(addr(&server), &script) else {
        return;
    };
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "nohost 400 *",
            "location 302 http://e.com/100%25?q=a%26b%23c",
            "preflight 204 GET, HEAD, OPTIONS *",
            "after 200",
        ],
        "{out}"
    );
}

#[test]
fn python_uploads_a_chunked_body_and_reuses_the_connection() {
    let server = start(config(Framing::Length));
    let script = format!(
        "{PRELUDE}\
c = conn()\n\
c.request('POST', '/delay/50/url/http://x/', body=iter([b'hello', b' ', b'world']), \
encode_chunked=True)\n\
r = c.getresponse(); r.read()\n\
print(r.status, r.getheader('Location'))\n\
c.request('GET', '/delay/0')\n\
r = c.getresponse()\n\
print(r.status, r.read().decode().strip())\n"
    );
    let Some(out) = python(addr(&server), &script) else {
        return;
    };
    assert_eq!(out, "307 http://x/\n200 delayed 0 ms: /delay/0\n");
}

#[test]
fn python_half_closing_after_its_request_still_gets_the_answer() {
    let server = start(config(Framing::Length));
    let script = format!(
        "{PRELUDE}\
s = socket.create_connection((host, int(port)), timeout=10)\n\
start = time.monotonic()\n\
s.sendall(b'GET /delay/200 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n\
s.shutdown(socket.SHUT_WR)\n\
data = b''.join(iter(lambda: s.recv(4096), b''))\n\
print(data.split(b'\\r\\n')[0].decode(), time.monotonic() - start >= 0.2)\n"
    );
    let Some(out) = python(addr(&server), &script) else {
        return;
    };
    assert_eq!(out, "HTTP/1.1 200 OK True\n");
}
