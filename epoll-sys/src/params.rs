//! `struct epoll_params` and the two ioctls that read and write it: per-instance
//! busy polling (Linux 6.9).

use core::ffi::c_ulong;

/// The busy-poll settings of one epoll instance, as `EPIOCSPARAMS` reads and
/// `EPIOCGPARAMS` writes them (Linux 6.9, `include/uapi/linux/eventpoll.h`).
///
/// 8 bytes, aligned to 4, on every architecture: no packing question here.
#[doc(alias = "struct epoll_params")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct epoll_params {
    /// How long a wait busy-polls the device queues before sleeping, in
    /// microseconds. 0 means no per-instance setting: the system-wide
    /// `net.core.busy_poll` applies (`busy_loop_ep_timeout` in
    /// `fs/eventpoll.c`). The kernel refuses values above `S32_MAX` with
    /// `EINVAL`.
    pub busy_poll_usecs: u32,
    /// How many packets one busy-poll round may process (0: the kernel's
    /// `BUSY_POLL_BUDGET`, 8); above
    /// `NAPI_POLL_WEIGHT` (64) it needs `CAP_NET_ADMIN` (`EPERM` otherwise).
    pub busy_poll_budget: u16,
    /// 1 to prefer busy polling over interrupt-driven processing, else 0
    /// (any other value is `EINVAL`).
    pub prefer_busy_poll: u8,
    /// Pads the struct to 64 bits; must be zero (`EINVAL` otherwise).
    pub __pad: u8,
}

/// The ioctl "type" byte of the epoll ioctls (`EPOLL_IOC_TYPE`).
pub const EPOLL_IOC_TYPE: u32 = 0x8A;

/// `_IOW(EPOLL_IOC_TYPE, 0x01, struct epoll_params)`: sets the instance's
/// busy-poll parameters (Linux 6.9; `ENOTTY` before).
///
/// glibc's `ioctl` takes the request as `unsigned long`, musl's as `int`:
/// cast with `as _` at the call.
pub const EPIOCSPARAMS: c_ulong = ioc(IOC_WRITE, EPOLL_IOC_TYPE, 0x01, PARAMS_SIZE);

/// `_IOR(EPOLL_IOC_TYPE, 0x02, struct epoll_params)`: reads the instance's
/// busy-poll parameters (Linux 6.9; `ENOTTY` before).
pub const EPIOCGPARAMS: c_ulong = ioc(IOC_READ, EPOLL_IOC_TYPE, 0x02, PARAMS_SIZE);

const PARAMS_SIZE: u32 = core::mem::size_of::<epoll_params>() as u32;

// The `_IOC` encoding: `dir << DIRSHIFT | size << 16 | type << 8 | nr`, with
// `DIRSHIFT = 16 + _IOC_SIZEBITS`. asm-generic/ioctl.h (every architecture
// without its own asm/ioctl.h) has 14 size bits, `_IOC_WRITE` 1 and
// `_IOC_READ` 2. mips, powerpc and sparc have their own
// (arch/{mips,powerpc,sparc}/include/uapi/asm/ioctl.h): 13 size bits, 3
// direction bits, `_IOC_NONE` 1, `_IOC_READ` 2, `_IOC_WRITE` 4. alpha (the
// same as those) and parisc (read and write swapped) are not Rust targets.
#[cfg(any(
    target_arch = "mips",
    target_arch = "mips32r6",
    target_arch = "mips64",
    target_arch = "mips64r6",
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "sparc",
    target_arch = "sparc64"
))]
mod dir {
    pub const IOC_READ: u32 = 2;
    pub const IOC_WRITE: u32 = 4;
    pub const IOC_DIRSHIFT: u32 = 29;
}
#[cfg(not(any(
    target_arch = "mips",
    target_arch = "mips32r6",
    target_arch = "mips64",
    target_arch = "mips64r6",
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "sparc",
    target_arch = "sparc64"
)))]
mod dir {
    pub const IOC_READ: u32 = 2;
    pub const IOC_WRITE: u32 = 1;
    pub const IOC_DIRSHIFT: u32 = 30;
}
use dir::{IOC_DIRSHIFT, IOC_READ, IOC_WRITE};

const fn ioc(dir: u32, ty: u32, nr: u32, size: u32) -> c_ulong {
    ((dir << IOC_DIRSHIFT) | (size << 16) | (ty << 8) | nr) as c_ulong
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    /// The layout `include/uapi/linux/eventpoll.h` (Linux 6.9+) declares:
    /// `__u32 busy_poll_usecs; __u16 busy_poll_budget; __u8 prefer_busy_poll; __u8 __pad;`.
    #[test]
    fn params_layout_is_the_kernels() {
        assert_eq!(size_of::<epoll_params>(), 8);
        assert_eq!(align_of::<epoll_params>(), 4);
        assert_eq!(offset_of!(epoll_params, busy_poll_usecs), 0);
        assert_eq!(offset_of!(epoll_params, busy_poll_budget), 4);
        assert_eq!(offset_of!(epoll_params, prefer_busy_poll), 6);
        assert_eq!(offset_of!(epoll_params, __pad), 7);
    }

    #[test]
    fn params_layout_equals_libc() {
        assert_eq!(size_of::<epoll_params>(), size_of::<libc::epoll_params>());
        assert_eq!(align_of::<epoll_params>(), align_of::<libc::epoll_params>());
        assert_eq!(
            offset_of!(epoll_params, prefer_busy_poll),
            offset_of!(libc::epoll_params, prefer_busy_poll)
        );
    }

    /// The values `_IOW(0x8A, 0x01, struct epoll_params)` and
    /// `_IOR(0x8A, 0x02, struct epoll_params)` take with the generic
    /// `asm-generic/ioctl.h` encoding (x86, arm, riscv, s390x, loongarch).
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64",
        target_arch = "s390x",
        target_arch = "loongarch64"
    ))]
    #[test]
    fn ioctl_numbers_are_the_kernels() {
        assert_eq!(EPIOCSPARAMS, 0x4008_8A01);
        assert_eq!(EPIOCGPARAMS, 0x8008_8A02);
    }

    #[test]
    fn ioctl_numbers_equal_libc() {
        assert_eq!(EPIOCSPARAMS as libc::Ioctl, libc::EPIOCSPARAMS);
        assert_eq!(EPIOCGPARAMS as libc::Ioctl, libc::EPIOCGPARAMS);
    }
}
