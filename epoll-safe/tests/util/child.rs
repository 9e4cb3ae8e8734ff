//! Running a test's body in a child process, for tests that change process
//! state (seccomp filters, rlimits) the other tests must not inherit.
//!
//! The test re-executes its own test binary, asking for itself alone with
//! `--exact`, and sets [`CHILD`] to its name; in the child, [`is_child`]
//! is true and the test runs its body instead of spawning.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};

/// The environment variable that marks the child, set to the test's name.
pub const CHILD: &str = "EPOLL_SAFE_TEST_CHILD";

/// Whether this process is the child spawned for test `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(name)
}

/// Runs test `name` of this test binary in a child process and returns how
/// it ended, with its output for the failure message.
pub fn run(name: &str) -> (ExitStatus, String) {
    let out = Command::new(std::env::current_exe().expect("test binary path"))
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, name)
        .output()
        .expect("spawning the test binary");
    let text = format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, text)
}

/// Runs test `name` in a child and asserts that it passed.
pub fn assert_passes(name: &str) {
    let (status, output) = run(name);
    assert!(
        status.success() && output.contains("1 passed"),
        "child {name} ended with {status:?} (signal {:?})\n{output}",
        status.signal()
    );
}

/// A seccomp action for [`deny_syscall`]: fail with this errno.
pub fn errno_action(errno: i32) -> u32 {
    libc::SECCOMP_RET_ERRNO | (errno as u32 & libc::SECCOMP_RET_DATA)
}

/// Installs a seccomp filter on the calling thread (and the threads it
/// starts) that answers syscall `nr` with `action` and allows every other.
pub fn deny_syscall(nr: libc::c_long, action: u32) {
    deny_syscalls(&[nr], action);
}

/// Like [`deny_syscall`], for several syscalls. No architecture check: the
/// filter lives only in a test child of a native binary.
pub fn deny_syscalls(nrs: &[libc::c_long], action: u32) {
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    // A = seccomp_data.nr (offset 0); then, per syscall: if A == nr, jump
    // to the final "deny"; at the end of the list, allow.
    let mut program = vec![stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0)];
    for (i, &nr) in nrs.iter().enumerate() {
        let to_deny = (nrs.len() - i) as u8; // skips the rest and the allow
        program.push(libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: to_deny,
            jf: 0,
            k: nr as u32,
        });
    }
    program.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    program.push(stmt(libc::BPF_RET | libc::BPF_K, action));
    let prog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integers only; it lets an
    // unprivileged process install a filter.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    assert_eq!(
        rc,
        0,
        "PR_SET_NO_NEW_PRIVS: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `prog` points at `program`, live for the call; the kernel
    // copies the filter.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &prog as *const libc::sock_fprog,
        )
    };
    assert_eq!(rc, 0, "seccomp: {}", std::io::Error::last_os_error());
}
