//! Each error variant from a real failing call, asserting the exact variant,
//! the call, the errno and that the errno survives conversion to `io::Error`.
//! (`WatchLimit` and `OutOfMemory` cannot be provoked safely; the crate's
//! unit tests pin their errno mapping.)

mod util;

use epoll_safe::{Epoll, Error, Interest, Op, Signals, Token};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use util::pipe;

/// Checks the errno three ways (the method, through `io::Error::from`, and
/// the `io::ErrorKind` std derives from it) and that the `io::Error` keeps
/// the typed error's sentence.
fn assert_errno(err: Error, errno: i32) {
    assert_eq!(err.raw_os_error(), Some(errno), "{err:?}");
    let sentence = err.to_string();
    let io = io::Error::from(err);
    assert_eq!(Error::raw_os_error_of(&io), Some(errno));
    assert_eq!(io.kind(), io::Error::from_raw_os_error(errno).kind());
    assert_eq!(io.to_string(), sentence);
}

#[test]
fn adding_twice_is_already_registered() {
    let epoll = Epoll::new().unwrap();
    let (r, _w) = pipe();
    epoll.add(&r, Token(1), Interest::READABLE).unwrap();
    let err = epoll.add(&r, Token(2), Interest::READABLE).unwrap_err();
    let fd = r.as_raw_fd();
    assert!(
        matches!(err, Error::AlreadyRegistered { op: Op::Add, fd: f } if f == fd),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("fd {fd} is already registered with this epoll instance")
    );
    assert_errno(err, libc::EEXIST);
}

#[test]
fn modifying_or_deleting_an_unregistered_fd_is_not_registered() {
    let epoll = Epoll::new().unwrap();
    let (r, _w) = pipe();
    let err = epoll.modify(&r, Token(1), Interest::READABLE).unwrap_err();
    assert!(
        matches!(err, Error::NotRegistered { op: Op::Modify, .. }),
        "{err:?}"
    );
    assert_errno(err, libc::ENOENT);

    let err = epoll.delete(&r).unwrap_err();
    assert!(
        matches!(err, Error::NotRegistered { op: Op::Delete, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "fd {} is not registered with this epoll instance",
            r.as_raw_fd()
        )
    );
    assert_errno(err, libc::ENOENT);
}

/// An `O_PATH` fd is open but refers to no file operations: `EBADF`.
#[test]
fn adding_an_o_path_fd_is_bad_fd() {
    let epoll = Epoll::new().unwrap();
    let path_fd = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open("/")
        .unwrap();
    let err = epoll
        .add(&path_fd, Token(1), Interest::READABLE)
        .unwrap_err();
    assert!(matches!(err, Error::BadFd { op: Op::Add, .. }), "{err:?}");
    assert_errno(err, libc::EBADF);
}

#[test]
fn adding_a_regular_file_or_directory_is_unpollable() {
    let epoll = Epoll::new().unwrap();
    let file = File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let err = epoll.add(&file, Token(1), Interest::READABLE).unwrap_err();
    assert!(
        matches!(err, Error::Unpollable { op: Op::Add, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not support epoll"), "{err}");
    assert_errno(err, libc::EPERM);

    let dir = File::open(env!("CARGO_MANIFEST_DIR")).unwrap();
    let err = epoll.add(&dir, Token(1), Interest::READABLE).unwrap_err();
    assert!(matches!(err, Error::Unpollable { .. }), "{err:?}");
}

#[test]
fn epoll_instances_watching_each_other_is_a_loop() {
    let a = Epoll::new().unwrap();
    let b = Epoll::new().unwrap();
    a.add(&b, Token(1), Interest::READABLE).unwrap();
    let err = b.add(&a, Token(2), Interest::READABLE).unwrap_err();
    assert!(matches!(err, Error::Loop { op: Op::Add, .. }), "{err:?}");
    assert_errno(err, libc::ELOOP);
}

#[test]
fn adding_an_epoll_instance_to_itself_is_invalid_argument() {
    let epoll = Epoll::new().unwrap();
    let err = epoll.add(&epoll, Token(1), Interest::READABLE).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { op: Op::Add, .. }),
        "{err:?}"
    );
    assert_errno(err, libc::EINVAL);
}

/// `epoll_ctl(2)`: EPOLLEXCLUSIVE with EPOLL_CTL_MOD is EINVAL. The fd here
/// is not even registered, so the kernel would say ENOENT: getting EINVAL
/// proves the check runs before the syscall.
#[test]
fn modify_with_exclusive_is_rejected_before_the_syscall() {
    let epoll = Epoll::new().unwrap();
    let (r, _w) = pipe();
    let err = epoll
        .modify(&r, Token(1), Interest::READABLE.exclusive())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { op: Op::Modify, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("EPOLLEXCLUSIVE"), "{err}");
    assert_errno(err, libc::EINVAL);
}

#[test]
fn modifying_an_fd_added_exclusive_is_invalid_argument() {
    let epoll = Epoll::new().unwrap();
    let (r, _w) = pipe();
    epoll
        .add(&r, Token(1), Interest::READABLE.exclusive())
        .unwrap();
    let err = epoll.modify(&r, Token(1), Interest::READABLE).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { op: Op::Modify, .. }),
        "{err:?}"
    );
    assert_errno(err, libc::EINVAL);
    epoll.delete(&r).unwrap(); // deleting and re-adding is the way out
    epoll.add(&r, Token(1), Interest::READABLE).unwrap();
}

#[test]
fn uncatchable_or_unknown_signals_are_invalid_argument() {
    for sig in [libc::SIGKILL, libc::SIGSTOP, 0, 1000] {
        let err = Signals::new(&[sig]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    op: Op::SignalsNew,
                    ..
                }
            ),
            "{sig}: {err:?}"
        );
        assert_errno(err, libc::EINVAL);
    }
}

#[test]
fn errors_are_send_sync_and_std_errors() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();
    let boxed: Box<dyn std::error::Error + Send + Sync> =
        Box::new(Epoll::new().unwrap().delete(pipe().0).unwrap_err());
    assert!(boxed.to_string().contains("not registered"));
}

#[test]
fn add_rejects_exclusive_combinations_before_the_syscall() {
    let epoll = Epoll::new().unwrap();
    let (r, _w) = pipe();
    for interest in [
        Interest::READABLE.oneshot().exclusive(),
        (Interest::READABLE | Interest::PRIORITY).exclusive(),
        (Interest::READABLE | Interest::READ_CLOSED).exclusive(),
    ] {
        let err = epoll.add(&r, Token(1), interest).unwrap_err();
        match &err {
            Error::InvalidArgument {
                op: Op::Add,
                reason,
            } => {
                assert!(reason.contains("EPOLLEXCLUSIVE"), "{interest:?}: {reason}")
            }
            other => panic!("{interest:?}: {other:?}"),
        }
        assert_errno(err, libc::EINVAL);
    }
    // Nothing reached the kernel: the fd is still free to add.
    epoll
        .add(&r, Token(1), Interest::READABLE.exclusive())
        .unwrap();
}

#[test]
fn add_exclusive_on_an_epoll_fd_names_the_rule() {
    let outer = Epoll::new().unwrap();
    let inner = Epoll::new().unwrap();
    let err = outer
        .add(&inner, Token(1), Interest::READABLE.exclusive())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                op: Op::Add,
                reason: "EPOLLEXCLUSIVE cannot watch an epoll instance"
            }
        ),
        "{err:?}"
    );
    assert_errno(err, libc::EINVAL);
    outer.add(&inner, Token(1), Interest::READABLE).unwrap();
}

/// What a `fn main() -> io::Result<()>` user sees: the sentence, not
/// "Invalid argument (os error 22)"; and the errno and the variant are
/// still there for code that wants them.
#[test]
fn into_io_error_keeps_the_sentence_and_the_errno() {
    fn add_itself() -> io::Result<()> {
        let epoll = Epoll::new()?;
        epoll.add(&epoll, Token(0), Interest::READABLE)?;
        Ok(())
    }
    let io = add_itself().unwrap_err();
    let text = io.to_string();
    assert!(
        text.contains("the fd is this epoll instance itself"),
        "{text}"
    );
    assert!(!text.contains("os error"), "{text}");
    assert_eq!(io.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(Error::raw_os_error_of(&io), Some(libc::EINVAL));
    let typed = io.get_ref().and_then(|e| e.downcast_ref::<Error>());
    assert!(
        matches!(typed, Some(Error::InvalidArgument { op: Op::Add, .. })),
        "{typed:?}"
    );
}

/// An `Error::Os` keeps its `io::Error` as the source, so the errno is also
/// reachable down the `source()` chain, and a plain OS error is read as is.
#[test]
fn raw_os_error_of_finds_the_errno_anywhere_in_the_io_error() {
    let os = Error::Os {
        op: Op::Wait,
        source: io::Error::from_raw_os_error(libc::EIO),
    };
    let io = io::Error::from(os);
    assert_eq!(
        io.to_string(),
        "epoll_wait failed: Input/output error (os error 5)"
    );
    let source = std::error::Error::source(&io).and_then(|e| e.downcast_ref::<io::Error>());
    assert_eq!(source.and_then(io::Error::raw_os_error), Some(libc::EIO));
    assert_eq!(Error::raw_os_error_of(&io), Some(libc::EIO));
    let plain = io::Error::from_raw_os_error(libc::EIO);
    assert_eq!(Error::raw_os_error_of(&plain), Some(libc::EIO));
    let wrapped = io::Error::other(io::Error::from_raw_os_error(libc::EPIPE));
    assert_eq!(Error::raw_os_error_of(&wrapped), Some(libc::EPIPE));
    assert_eq!(Error::raw_os_error_of(&io::Error::other("none")), None);
}
