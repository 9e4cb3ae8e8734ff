//! The `memory` section: client memory per in-flight request, from the peak
//! RSS of a one-request run and of 9,000 requests in flight at once.

use super::e2e::{self, Run};
use super::process::{Scratch, Server};
use super::report::{Block, Chapter, Findings, Target};
use super::SPREAD_9000;
use crate::steps::Outcome;
use std::path::Path;

/// Client memory per in-flight request.
#[derive(Debug)]
pub struct Memory {
    /// One request.
    pub one: Run,
    /// Many requests in flight at once.
    pub many: Run,
    /// `(rss(many) - rss(one)) / (many - one)`, in bytes.
    pub bytes_per_request: f64,
}

/// Client peak RSS at one request and at 9,000 in flight at once (step 1 ms:
/// the last answer is due 9 s after the first request, long after the last
/// connection is made), against a server in its own process so that only
/// the client's memory is counted.
///
/// # Errors
///
/// When the server or a run fails (see [`e2e::client`]).
pub fn measure(exe: &Path, scratch: &Scratch) -> Outcome<Memory> {
    let server = Server::start(exe, scratch)?;
    let label = "separate server";
    let one = ["--server", server.addr(), "--count", "1"];
    let one = e2e::client(exe, label, &one, scratch, Some(&server))?;
    let many = [&["--server", server.addr()][..], &SPREAD_9000[..]].concat();
    let many = e2e::client(exe, label, &many, scratch, Some(&server))?;
    server.stop();
    let extra = many.summary.requested - one.summary.requested;
    let bytes = (many.summary.max_rss_kib - one.summary.max_rss_kib) * 1024.0 / extra;
    Ok(Memory {
        one,
        many,
        bytes_per_request: bytes,
    })
}

/// Its two runs (rows of the end-to-end table), its chapter and its target.
pub fn findings(mem: &Memory) -> Findings {
    let (one, many) = (&mem.one.summary, &mem.many.summary);
    let runs = [mem.one.clone(), mem.many.clone()];
    let text = format!(
        "Against `slow-client serve` in its own process, so only the client is counted:\n\
         peak RSS {} KiB with `--count 1`, {} KiB with `{}`. All\n\
         {} are in flight at once: requests go out faster than one per millisecond, so\n\
         none is answered before the last is sent. The difference over {} requests is\n\
         **{:.0} bytes per in-flight request**.\n\n\
         RSS counts the pages of the client process that were resident at the peak: its\n\
         heap (per-connection state and read buffers, the slab of connections, the\n\
         arrival log used for the summary, buffered output), stack, and the touched\n\
         pages of the binary and shared libraries (the same at 1 and 9,000 requests, so\n\
         they cancel out). It does **not** include kernel memory: socket buffers, the\n\
         `struct sock`/`file`/`inode` of each socket, or the epoll items; those are\n\
         kernel slab memory (`/proc/meminfo` `Slab`), charged to no process's RSS.\n\n\
         Peak RSS is `VmHWM` from `/proc/self/status`, not `getrusage`'s `ru_maxrss`,\n\
         which Linux carries over `execve` from the parent image (a client spawned\n\
         from xtask reported xtask's 5.6 MiB for `--count 1`).",
        one.max_rss_kib,
        many.max_rss_kib,
        e2e::command(&mem.many),
        many.requested,
        many.requested - one.requested,
        mem.bytes_per_request
    );
    Findings {
        targets: vec![Target {
            what: "slow-client: under 4 KiB client memory per in-flight request",
            measured: format!("{:.0} bytes", mem.bytes_per_request),
            met: Some(mem.bytes_per_request < 4096.0),
        }],
        chapters: vec![
            Chapter::new(e2e::HEADING, vec![Block::Table(e2e::runs_table(&runs))]),
            Chapter::new(
                "Client memory per in-flight request",
                vec![Block::Text(text)],
            ),
        ],
    }
}
