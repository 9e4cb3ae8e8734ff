//! What the binary does with its parsed command line: the demo run, `serve` and `plot`.

mod demo;
mod plot;
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
    /// Some request did not (1).
    SomeFailed,
    /// Bad usage or setup: bad flag, cannot bind, cannot resolve, fd limit too low (2).
    Setup,
    /// Stopped by SIGINT or SIGTERM (130, as a shell reports Ctrl-C).
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(match exit {
            Exit::Success => 0,
            Exit::SomeFailed => 1,
            Exit::Setup => 2,
            Exit::Interrupted => 130,
        })
    }
}
