//! What the binary does with its parsed command line: the demo run, `serve`
//! and `plot` (`src/main.rs` chooses between them), and how it exits.

mod demo;
mod plot;
mod plot_file;
mod serve;

pub use demo::demo;
pub use plot::plot;
pub use serve::serve;

use std::process::ExitCode;

/// How the program ends, as an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every request got a complete response with status < 400 (0).
    Success,
    /// Some request did not, an answer came before its delay, or the
    /// client's own writing broke the answers' order (1).
    SomeFailed,
    /// Bad usage or setup: bad flag, cannot bind, cannot resolve, fd limit too low (2).
    Setup,
    /// Stopped by this signal: 128 + its number, as a shell reports it
    /// (SIGINT, Ctrl-C: 130; SIGTERM: 143).
    Signal(i32),
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::SomeFailed => 1,
            Exit::Setup => 2,
            Exit::Signal(signal) => u8::try_from(128 + signal).unwrap_or(255),
        })
    }
}
