//! `slow-client`: see `slow-client --help`, or the crate README.
//!
//! The binary's own modules live here, on the binary side: the command line
//! (`cli`, with the `--server` text in `server_arg`) and what the program does
//! with it (`app`). They reach the library as `slow_client::...`. This file
//! is the split between the demo and the subcommands.
#![deny(unsafe_code)]

mod app;
mod cli;
mod server_arg;

use app::Exit;
use clap::Parser;
use cli::{Cli, Command};
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
