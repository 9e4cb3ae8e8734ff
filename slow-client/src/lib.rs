//! slow-client: the "epoll express" exercise, done properly.
//!
//! Many HTTP requests with descending delays over one epoll loop
//! ([`client`]), a delay server to answer them ([`server`]), the HTTP
//! response reader ([`http`]), and the reporting of outcomes ([`report`]).
//! The binary (`src/main.rs`) wires them to the command line ([`cli`]).
//!
//! Every epoll operation goes through `epoll-safe`; the only `unsafe` code is
//! in [`os`], for calls no safe crate wraps.
#![deny(unsafe_code)]

pub mod app;
pub mod cli;
pub mod client;
pub mod http;
pub mod json;
pub mod order;
pub mod os;
pub mod plan;
pub mod report;
pub mod server;
pub mod stats;
