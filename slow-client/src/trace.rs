//! `--trace-events`: each epoll event as the kernel returned it.
//!
//! The point of the book's chapter is the kernel's `struct epoll_event`: a
//! 32-bit bit set and the caller's 64-bit token, **packed** to 12 bytes on
//! x86_64 (no padding between them), padded to 16 on most other targets.
//! [`line()`] shows one event the way `epoll_wait` wrote it: the token, the
//! bits by their `epoll-sys` names, and the struct's bytes in memory order
//! (a padding byte the kernel does not write shows as `__`).

use epoll_safe::Event;
use epoll_sys::{
    epoll_event, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLMSG, EPOLLONESHOT,
    EPOLLOUT, EPOLLPRI, EPOLLRDBAND, EPOLLRDHUP, EPOLLRDNORM, EPOLLWAKEUP, EPOLLWRBAND,
    EPOLLWRNORM,
};
use std::fmt::Write as _;
use std::mem::{offset_of, size_of};

/// Every `EPOLL*` event bit by its `epoll-sys` (and C) name, lowest first.
const NAMES: [(u32, &str); 15] = [
    (EPOLLIN, "EPOLLIN"),
    (EPOLLPRI, "EPOLLPRI"),
    (EPOLLOUT, "EPOLLOUT"),
    (EPOLLERR, "EPOLLERR"),
    (EPOLLHUP, "EPOLLHUP"),
    (EPOLLRDNORM, "EPOLLRDNORM"),
    (EPOLLRDBAND, "EPOLLRDBAND"),
    (EPOLLWRNORM, "EPOLLWRNORM"),
    (EPOLLWRBAND, "EPOLLWRBAND"),
    (EPOLLMSG, "EPOLLMSG"),
    (EPOLLRDHUP, "EPOLLRDHUP"),
    (EPOLLEXCLUSIVE, "EPOLLEXCLUSIVE"),
    (EPOLLWAKEUP, "EPOLLWAKEUP"),
    (EPOLLONESHOT, "EPOLLONESHOT"),
    (EPOLLET, "EPOLLET"),
];

/// The bits as C writes them: `EPOLLIN|EPOLLRDHUP`; bits without a name in hex, `0` for none.
///
/// # Examples
/// ```
/// use slow_client::trace::flag_names;
/// assert_eq!(flag_names(epoll_sys::EPOLLIN | epoll_sys::EPOLLRDHUP), "EPOLLIN|EPOLLRDHUP");
/// assert_eq!(flag_names(0), "0");
/// ```
pub fn flag_names(bits: u32) -> String {
    if bits == 0 {
        return "0".to_owned();
    }
    let mut out = String::new();
    let mut rest = bits;
    for (bit, name) in NAMES {
        if bits & bit != 0 {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !out.is_empty() {
            out.push('|');
        }
        let _ = write!(out, "{rest:#x}");
    }
    out
}

/// The struct's bytes in memory order, two hex digits each, `__` for a
/// padding byte (none on x86_64: 12 bytes, the token right after the bits).
pub fn raw_bytes(raw: epoll_event) -> String {
    let (events, data) = ({ raw.events }, { raw.data });
    let mut bytes: Vec<Option<u8>> = vec![None; size_of::<epoll_event>()];
    let at_events = offset_of!(epoll_event, events);
    let at_data = offset_of!(epoll_event, data);
    for (i, b) in events.to_ne_bytes().into_iter().enumerate() {
        bytes[at_events + i] = Some(b);
    }
    for (i, b) in data.to_ne_bytes().into_iter().enumerate() {
        bytes[at_data + i] = Some(b);
    }
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = match b {
            Some(b) => write!(out, "{b:02x}"),
            None => write!(out, "__"),
        };
    }
    out
}

/// One event's trace line, e.g. on x86_64
/// `EVENT: token 5, EPOLLIN|EPOLLRDHUP, 12 bytes: 01 20 00 00 05 00 00 00 00 00 00 00`.
pub fn line(event: &Event) -> String {
    let raw = event.to_raw();
    format!(
        "EVENT: token {}, {}, {} bytes: {}",
        { raw.data },
        flag_names(raw.events),
        size_of::<epoll_event>(),
        raw_bytes(raw)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_named_as_in_c_and_unknown_bits_in_hex() {
        assert_eq!(flag_names(EPOLLOUT), "EPOLLOUT");
        assert_eq!(
            flag_names(EPOLLIN | EPOLLRDHUP | EPOLLHUP),
            "EPOLLIN|EPOLLHUP|EPOLLRDHUP"
        );
        assert_eq!(flag_names(EPOLLIN | (1 << 20)), "EPOLLIN|0x100000");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_packed_struct_is_twelve_bytes_with_the_token_at_four() {
        let raw = epoll_event {
            events: EPOLLIN | EPOLLRDHUP,
            data: 5,
        };
        assert_eq!(raw_bytes(raw), "01 20 00 00 05 00 00 00 00 00 00 00");
    }

    #[cfg(all(target_pointer_width = "64", not(target_arch = "x86_64")))]
    #[test]
    fn the_natural_struct_is_sixteen_bytes_with_padding_before_the_token() {
        let raw = epoll_event {
            events: EPOLLOUT,
            data: 1,
        };
        let text = raw_bytes(raw);
        assert_eq!(text.split(' ').count(), 16);
        assert!(text.contains("__ __ __ __"), "{text}");
    }
}
