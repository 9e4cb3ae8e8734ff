//! slow-client: the "epoll express" exercise, done properly.
//!
//! Many HTTP requests with descending delays over one epoll loop
//! ([`client`]), a delay server to answer them ([`server`]), the sans-I/O
//! HTTP response reader ([`http`]), the requests' plan ([`plan`]), and the
//! reporting of outcomes ([`report`], [`stats`]) in the `--json` format that
//! [`schema`] defines and [`contract`] checks.
//!
//! # Stability
//!
//! This library exists for the `slow-client` binary, its tests and its fuzz
//! target. The stable contract is the command line and the `--json` format
//! ([`schema`]); the Rust API of these modules may change in any release.
//! The binary's own modules (the command line and what it does with it)
//! live on the binary side, in `src/main.rs`.
//!
//! Every epoll operation goes through `epoll-safe`; the only `unsafe` code is
//! in one private module (`os`), for calls no safe crate wraps.
#![deny(unsafe_code)]

pub mod budget;
pub mod client;
pub mod contract;
mod decimal;
pub mod http;
pub mod order;
mod os;
pub mod plan;
pub mod plot;
pub mod progress;
pub mod report;
pub mod schema;
pub mod server;
pub mod stats;
pub mod trace;
