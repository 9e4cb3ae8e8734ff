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

/// Like [`deny_syscall`], for several syscalls.
pub fn deny_syscalls(nrs: &[libc::c_long], action: u32) {
    // A = seccomp_data.nr (offset 0); then, per syscall: if A == nr, jump
    // to the final "deny"; at the end of the list, allow.
    let mut program = arch_check();
    program.push(stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, NR));
    for (i, &nr) in nrs.iter().enumerate() {
        let to_deny = (nrs.len() - i) as u8; // skips the rest and the allow
        program.push(jeq(nr as u32, to_deny, 0));
    }
    program.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    program.push(stmt(libc::BPF_RET | libc::BPF_K, action));
    install(program);
}

/// Answers syscall `nr` with `action` only when its first argument is `fd`
/// (e.g. a wait on one particular epoll instance), allowing every other
/// call: a marker that shows whether a given call made that syscall.
pub fn deny_syscall_on_fd(nr: libc::c_long, fd: std::os::fd::RawFd, action: u32) {
    let mut program = arch_check();
    program.push(stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, NR));
    program.push(jeq(nr as u32, 0, 2)); // not nr: skip two, to the allow
                                        // The low 32 bits of args[0]: the first word on a little-endian target.
    const _: () = assert!(cfg!(target_endian = "little"));
    program.push(stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, ARG0));
    program.push(jeq(fd as u32, 1, 0));
    program.push(stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW));
    program.push(stmt(libc::BPF_RET | libc::BPF_K, action));
    install(program);
}

/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARG0: u32 = 16;

/// The `AUDIT_ARCH_*` of the target (`include/uapi/linux/audit.h`): the ELF
/// machine, with the 64-bit and little-endian bits.
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7; // AUDIT_ARCH_AARCH64
#[cfg(target_arch = "x86")]
const AUDIT_ARCH: u32 = 0x4000_0003; // AUDIT_ARCH_I386
#[cfg(target_arch = "riscv64")]
const AUDIT_ARCH: u32 = 0xC000_00F3; // AUDIT_ARCH_RISCV64

/// The filter's first instructions: a call made with another architecture's
/// calling convention (an x86_64 process can make i386 syscalls through
/// `int 0x80`) has other syscall numbers, so matching its `nr` against this
/// target's table would be meaningless. Such calls are killed, the usual
/// sandbox rule: this native test binary never makes one, and if something
/// did, a loud SIGSYS beats a filter silently answering the wrong syscall.
fn arch_check() -> Vec<libc::sock_filter> {
    vec![
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, ARCH),
        jeq(AUDIT_ARCH, 1, 0),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_KILL_PROCESS),
    ]
}

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

/// If A == k, skip `jt` instructions, else `jf`.
fn jeq(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    }
}

/// Installs `program` as a seccomp filter on the calling thread.
fn install(mut program: Vec<libc::sock_filter>) {
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
