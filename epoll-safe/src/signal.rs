//! [`Signal`]: a signal number by name, so naming `SIGINT` needs no `libc`.

use std::ffi::c_int;
use std::fmt;

/// A signal number: `Signal::INT` is `SIGINT`. Pass it to
/// [`Signals::new`](crate::Signals::new) and compare it with
/// [`SignalInfo::signal`](crate::SignalInfo::signal).
///
/// The constants are the signals an event loop usually takes in through a
/// [`Signals`](crate::Signals); any other number (a real-time signal, say)
/// comes from [`Signal::from_raw`]. `SIGKILL` and `SIGSTOP` have no constant:
/// they can be neither blocked nor read.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use epoll_safe::{Signal, Signals};
///
/// let signals = Signals::new(&[Signal::USR1, Signal::USR2])?;
/// assert_eq!(signals.signals().collect::<Vec<_>>(), [Signal::USR1.raw(), Signal::USR2.raw()]);
/// assert_eq!(Signal::from_raw(2), Some(Signal::INT));
/// assert_eq!(Signal::INT.to_string(), "SIGINT");
/// assert_eq!(Signal::from_raw(0), None);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Signal(c_int);

impl Signal {
    /// `SIGHUP`: the terminal hung up; daemons take it as "reload".
    pub const HUP: Signal = Signal(libc::SIGHUP);
    /// `SIGINT`: Ctrl-C in a terminal.
    pub const INT: Signal = Signal(libc::SIGINT);
    /// `SIGQUIT`: Ctrl-\ in a terminal.
    pub const QUIT: Signal = Signal(libc::SIGQUIT);
    /// `SIGUSR1`: user-defined.
    pub const USR1: Signal = Signal(libc::SIGUSR1);
    /// `SIGUSR2`: user-defined.
    pub const USR2: Signal = Signal(libc::SIGUSR2);
    /// `SIGPIPE`: a write to a pipe or socket with no reader.
    pub const PIPE: Signal = Signal(libc::SIGPIPE);
    /// `SIGALRM`: `alarm(2)` or a real-time interval timer expired.
    pub const ALRM: Signal = Signal(libc::SIGALRM);
    /// `SIGTERM`: the polite request to stop (`kill`'s default, systemd, Docker).
    pub const TERM: Signal = Signal(libc::SIGTERM);
    /// `SIGCHLD`: a child process stopped or exited.
    pub const CHLD: Signal = Signal(libc::SIGCHLD);
    /// `SIGCONT`: continued after a stop.
    pub const CONT: Signal = Signal(libc::SIGCONT);
    /// `SIGTSTP`: Ctrl-Z in a terminal.
    pub const TSTP: Signal = Signal(libc::SIGTSTP);
    /// `SIGWINCH`: the terminal's window size changed.
    pub const WINCH: Signal = Signal(libc::SIGWINCH);

    /// The signal numbered `raw`, or `None` for a number that is no signal
    /// (outside 1..=`SIGRTMAX`, which is 64 on most targets).
    ///
    /// Every signal the kernel knows is accepted here, including `SIGKILL`,
    /// `SIGSTOP` and the ones the C library reserves;
    /// [`Signals::new`](crate::Signals::new) refuses those with a reason.
    pub fn from_raw(raw: c_int) -> Option<Signal> {
        (1..=libc::SIGRTMAX()).contains(&raw).then_some(Signal(raw))
    }

    /// The number, as `libc` and the kernel name it (`Signal::INT.raw() == 2`).
    pub const fn raw(self) -> c_int {
        self.0
    }

    /// The C name of a signal that has a constant here (`"SIGINT"`), or of
    /// `SIGKILL`/`SIGSTOP`; `None` for the others.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            libc::SIGHUP => "SIGHUP",
            libc::SIGINT => "SIGINT",
            libc::SIGQUIT => "SIGQUIT",
            libc::SIGKILL => "SIGKILL",
            libc::SIGUSR1 => "SIGUSR1",
            libc::SIGUSR2 => "SIGUSR2",
            libc::SIGPIPE => "SIGPIPE",
            libc::SIGALRM => "SIGALRM",
            libc::SIGTERM => "SIGTERM",
            libc::SIGCHLD => "SIGCHLD",
            libc::SIGCONT => "SIGCONT",
            libc::SIGSTOP => "SIGSTOP",
            libc::SIGTSTP => "SIGTSTP",
            libc::SIGWINCH => "SIGWINCH",
            _ => return None,
        })
    }
}

/// `Signal::TERM` as the number the C API takes.
impl From<Signal> for c_int {
    fn from(signal: Signal) -> c_int {
        signal.0
    }
}

/// So `info.signal() == Signal::INT` reads as it should.
impl PartialEq<Signal> for c_int {
    fn eq(&self, other: &Signal) -> bool {
        *self == other.0
    }
}

impl PartialEq<c_int> for Signal {
    fn eq(&self, other: &c_int) -> bool {
        self.0 == *other
    }
}

/// `SIGINT` for a named signal, `signal 40` for the others.
impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signal({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_the_c_library_numbers_and_names() {
        for (sig, raw, name) in [
            (Signal::INT, libc::SIGINT, "SIGINT"),
            (Signal::TERM, libc::SIGTERM, "SIGTERM"),
            (Signal::HUP, libc::SIGHUP, "SIGHUP"),
            (Signal::WINCH, libc::SIGWINCH, "SIGWINCH"),
        ] {
            assert_eq!(sig.raw(), raw);
            assert_eq!(c_int::from(sig), raw);
            assert_eq!(sig.to_string(), name);
            assert_eq!(Signal::from_raw(raw), Some(sig));
            assert!(raw == sig, "c_int == Signal");
            assert!(sig == raw, "Signal == c_int");
        }
    }

    #[test]
    fn from_raw_takes_every_kernel_signal_and_nothing_else() {
        assert_eq!(Signal::from_raw(0), None);
        assert_eq!(Signal::from_raw(-2), None);
        assert_eq!(Signal::from_raw(libc::SIGRTMAX() + 1), None);
        let rt = Signal::from_raw(libc::SIGRTMIN()).expect("real-time signal");
        assert_eq!(rt.name(), None);
        assert_eq!(rt.to_string(), format!("signal {}", libc::SIGRTMIN()));
        assert_eq!(
            Signal::from_raw(libc::SIGKILL).unwrap().name(),
            Some("SIGKILL")
        );
    }
}
