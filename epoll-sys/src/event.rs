//! `struct epoll_event`, laid out exactly as the kernel expects.

/// One event as the kernel reads it from `epoll_ctl` and writes it in `epoll_wait`.
///
/// `events` is a bit set of the `EPOLL*` constants; `data` is the user's
/// 64-bit value, returned unchanged with every event (C's `epoll_data_t`
/// union: `ptr`, `fd`, `u32` and `u64` all alias these 8 bytes).
///
/// Packed on x86_64 (12 bytes, alignment 1) and on 32-bit x86 with glibc
/// (12 bytes either way, but packing lowers the alignment from 4 to 1);
/// natural C layout elsewhere: 12 bytes aligned to 4 on 32-bit x86 with musl,
/// 16 bytes aligned to 8 on the 64-bit targets and the 32-bit ones that align
/// `u64` to 8. See the [crate docs](crate#the-packed-struct).
/// Never take a reference to a field: copy it out with `{ ev.data }`.
#[doc(alias = "struct epoll_event")]
#[doc(alias = "epoll_data_t")]
#[doc(alias = "epoll_data")]
#[derive(Clone, Copy, Debug)]
#[repr(C)]
// Packed exactly where the headers pack it (checked by `cargo xtask abi`
// against each target's own headers, see the crate docs):
// - the kernel's <linux/eventpoll.h> (`EPOLL_PACKED`) and musl's
//   <sys/epoll.h> pack it under `#ifdef __x86_64__`: x86_64, x32 included;
// - glibc's sysdeps/unix/sysv/linux/x86/bits/epoll.h defines `__EPOLL_PACKED`
//   for every x86 glibc target, so i686 with glibc is packed too (there it
//   only lowers the alignment from 4 to 1: `u64` is aligned to 4 on i386).
// Everywhere else (glibc's generic bits/epoll.h, bionic's uapi struct, musl
// off x86_64) nothing packs it.
#[cfg_attr(
    any(target_arch = "x86_64", all(target_arch = "x86", target_env = "gnu")),
    repr(packed)
)]
pub struct epoll_event {
    /// Event bits: what to watch (`epoll_ctl`) or what happened (`epoll_wait`).
    pub events: u32,
    /// The caller's token, handed back unchanged with each event.
    pub data: u64,
}

#[cfg(test)]
mod tests {
    use super::epoll_event;
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn layout_equals_libc() {
        assert_eq!(size_of::<epoll_event>(), size_of::<libc::epoll_event>());
        assert_eq!(align_of::<epoll_event>(), align_of::<libc::epoll_event>());
        assert_eq!(
            offset_of!(epoll_event, events),
            offset_of!(libc::epoll_event, events)
        );
        assert_eq!(
            offset_of!(epoll_event, data),
            offset_of!(libc::epoll_event, u64)
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn is_packed_to_twelve_bytes_on_x86_64() {
        assert_eq!(size_of::<epoll_event>(), 12);
        assert_eq!(offset_of!(epoll_event, data), 4);
        assert_eq!(align_of::<epoll_event>(), 1);
    }

    #[cfg(all(target_arch = "x86", target_env = "gnu"))]
    #[test]
    fn is_packed_to_alignment_one_on_i686_gnu() {
        assert_eq!(size_of::<epoll_event>(), 12);
        assert_eq!(align_of::<epoll_event>(), 1);
    }

    #[cfg(all(target_arch = "x86", target_env = "musl"))]
    #[test]
    fn is_twelve_bytes_aligned_to_four_on_i686_musl() {
        assert_eq!(size_of::<epoll_event>(), 12);
        assert_eq!(align_of::<epoll_event>(), 4);
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn is_naturally_aligned_on_aarch64() {
        assert_eq!(size_of::<epoll_event>(), 16);
        assert_eq!(offset_of!(epoll_event, data), 8);
    }

    #[test]
    fn fields_copy_out_unchanged() {
        let ev = epoll_event {
            events: 0xdead_beef,
            data: u64::MAX - 1,
        };
        assert_eq!({ ev.events }, 0xdead_beef);
        assert_eq!({ ev.data }, u64::MAX - 1);
    }
}
