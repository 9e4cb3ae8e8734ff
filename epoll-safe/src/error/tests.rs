//! The errno table and the messages of [`Error`].

use super::*;

/// The whole errno table, including the two variants no test can provoke
/// safely (`ENOSPC` needs the system-wide watch limit, `ENOMEM` an OOM).
#[test]
fn every_errno_maps_to_its_variant_and_back() {
    type IsVariant = fn(&Error) -> bool;
    let table: [(i32, IsVariant); 11] = [
        (libc::EEXIST, |e| {
            matches!(e, Error::AlreadyRegistered { fd: 7, .. })
        }),
        (libc::ENOENT, |e| {
            matches!(e, Error::NotRegistered { fd: 7, .. })
        }),
        (libc::EBADF, |e| matches!(e, Error::BadFd { fd: 7, .. })),
        (libc::EPERM, |e| {
            matches!(e, Error::Unpollable { fd: 7, .. })
        }),
        (libc::ELOOP, |e| matches!(e, Error::Loop { fd: 7, .. })),
        (libc::ENOSPC, |e| {
            matches!(e, Error::WatchLimit { fd: 7, .. })
        }),
        (libc::ENOMEM, |e| matches!(e, Error::OutOfMemory { .. })),
        (libc::EINVAL, |e| matches!(e, Error::InvalidArgument { .. })),
        (libc::EINTR, |e| matches!(e, Error::Interrupted { .. })),
        (libc::EMFILE, |e| {
            matches!(
                e,
                Error::FileLimit {
                    scope: FileLimitScope::Process,
                    ..
                }
            )
        }),
        (libc::ENFILE, |e| {
            matches!(
                e,
                Error::FileLimit {
                    scope: FileLimitScope::System,
                    ..
                }
            )
        }),
    ];
    for (errno, is_variant) in table {
        let err = Error::from_errno(Op::Add, 7, errno);
        assert!(is_variant(&err), "errno {errno} became {err:?}");
        assert_eq!(err.op(), Op::Add);
        assert_eq!(err.raw_os_error(), Some(errno));
        assert_eq!(Error::raw_os_error_of(&io::Error::from(err)), Some(errno));
    }
}

#[test]
fn eperm_is_unpollable_only_from_add_and_modify() {
    for op in [Op::Add, Op::Modify] {
        assert!(matches!(
            Error::from_errno(op, 7, libc::EPERM),
            Error::Unpollable { fd: 7, .. }
        ));
    }
    for op in [
        Op::Wait,
        Op::Delete,
        Op::Create,
        Op::TimerSet,
        Op::SetBusyPoll,
    ] {
        let err = Error::from_errno(op, 7, libc::EPERM);
        assert!(matches!(err, Error::Os { .. }), "{op}: {err:?}");
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
        assert_eq!(
            Error::raw_os_error_of(&io::Error::from(err)),
            Some(libc::EPERM)
        );
    }
}

#[test]
fn ctl_errnos_name_a_registration_only_from_epoll_ctl() {
    for errno in [libc::EEXIST, libc::ENOENT, libc::ELOOP, libc::ENOSPC] {
        for op in [Op::Add, Op::Modify, Op::Delete] {
            let err = Error::from_errno(op, 7, errno);
            assert!(!matches!(err, Error::Os { .. }), "{op}: {err:?}");
        }
        for op in [
            Op::Wait,
            Op::Create,
            Op::TimerSet,
            Op::SignalsRead,
            Op::SetBusyPoll,
        ] {
            let err = Error::from_errno(op, 7, errno);
            assert!(matches!(err, Error::Os { .. }), "{op}, {errno}: {err:?}");
            assert_eq!(Error::raw_os_error_of(&io::Error::from(err)), Some(errno));
        }
    }
}

#[test]
fn file_limits_name_the_limit_to_raise() {
    let emfile = Error::from_errno(Op::Create, -1, libc::EMFILE).to_string();
    assert!(emfile.starts_with("epoll_create1: "), "{emfile}");
    assert!(emfile.contains("ulimit -n"), "{emfile}");
    let enfile = Error::from_errno(Op::TimerNew, -1, libc::ENFILE).to_string();
    assert!(enfile.contains("fs.file-max"), "{enfile}");
    assert!(!enfile.contains("ulimit"), "{enfile}");
}

#[test]
fn unsupported_only_from_the_busy_poll_calls_and_keeps_the_errno() {
    for errno in [libc::ENOTTY, libc::EOPNOTSUPP] {
        for op in [Op::SetBusyPoll, Op::GetBusyPoll] {
            let err = Error::from_errno(op, 3, errno);
            assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
            assert_eq!(Error::raw_os_error_of(&io::Error::from(err)), Some(errno));
        }
        let err = Error::from_errno(Op::Wait, 3, errno);
        assert!(matches!(err, Error::Os { .. }), "{err:?}");
    }
    let msg = Error::from_errno(Op::SetBusyPoll, 3, libc::ENOTTY).to_string();
    assert!(msg.contains("Linux 6.9"), "{msg}");
}

#[test]
fn messages_name_the_fd_and_the_limit() {
    let err = Error::from_errno(Op::Add, 7, libc::ENOSPC);
    assert_eq!(
        err.to_string(),
        "cannot register fd 7: the per-user epoll watch limit \
         (/proc/sys/fs/epoll/max_user_watches) is reached"
    );
    let err = Error::from_errno(Op::Wait, 3, libc::EIO);
    assert!(err.to_string().starts_with("epoll_wait failed: "), "{err}");
    assert_eq!(
        Error::from_errno(Op::Create, -1, libc::ENOMEM).to_string(),
        "epoll_create1 failed: the kernel is out of memory"
    );
}

#[test]
fn os_errors_keep_their_source() {
    let err = Error::from_errno(Op::TryClone, 3, libc::EIO);
    let source = std::error::Error::source(&err).expect("source");
    assert_eq!(
        source.to_string(),
        io::Error::from_raw_os_error(libc::EIO).to_string()
    );
}
