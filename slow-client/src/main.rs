//! `slow-client`: see `slow-client --help`, or the crate README.
#![deny(unsafe_code)]

use clap::Parser;
use slow_client::app::{self, Exit};
use slow_client::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit: Exit = match cli.command {
        Some(Command::Serve(args)) => app::serve(args),
        Some(Command::Plot(args)) => app::plot(args),
        None => app::demo(cli.run),
    };
    exit.into()
}
