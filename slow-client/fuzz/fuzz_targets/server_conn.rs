//! Fuzzes the delay server's connection (`slow_client::server`'s pure HTTP/1.1
//! state machine, `src/server/conn/`) on a virtual clock: the input is a script
//! of client actions (well-formed requests cut and paused, raw bytes, clock
//! steps, partial writes and a full socket, the peer's FIN, a peer gone both
//! ways, SIGTERM) under a configuration its first two bytes pick.
//!
//! The check is the library's own (`src/server/sim/check.rs`, also run by the
//! gate's proptest), reached through the `fuzzing` feature. It asserts: no
//! panic; responses in request order and none before its due time; the stats
//! identity `requests == answered + rejected + dropped`; at most
//! `PIPELINE_DEPTH` responses held and the unparsed input bounded; the
//! connection ends only in the documented ways; and liveness: a client that
//! then drips one byte (whatever it is) is closed within the timeouts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    slow_client::server::fuzz_conn(data);
});
