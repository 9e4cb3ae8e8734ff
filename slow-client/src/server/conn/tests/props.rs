//! The whole connection's properties ([`crate::server::sim::check`]) over random
//! scripts: few cases of small inputs, so it stays within a few seconds in the gate
//! (the fuzz target `server_conn` runs the same check for as long as it is given).

use proptest::prelude::*;

use crate::server::sim::check::check;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_script_breaks_the_connection_s_properties(data in proptest::collection::vec(any::<u8>(), 0..160)) {
        check(&data);
    }
}

#[test]
fn the_fuzz_seeds_pass() {
    // The fuzz target's seeds (`fuzz/seeds/server_conn/`): the requests of these
    // tests as scripts, in every shape, cut and paused, with CR/LF drips, a full
    // socket, the pipeline bound, a FIN, a peer gone both ways, a drain.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/server_conn");
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "seed {}", path.display());
        seeds += 1;
    }
    assert!(seeds >= 10, "{seeds} seeds in {}", dir.display());
}
