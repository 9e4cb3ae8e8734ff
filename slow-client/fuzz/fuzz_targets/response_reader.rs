//! Fuzzes `slow_client::http::ResponseReader`: arbitrary bytes, fed in
//! arbitrary pieces under default, tight or arbitrary limits.
//!
//! Input layout (decoded by hand so libFuzzer's mutations map directly onto
//! each choice):
//!
//! - byte 0: bits 0-1 pick the limits (0 and 3: default, 1: tight, 2: the
//!   next 4 bytes), bit 2 also reads the input one byte at a time;
//! - byte 1: the number of cut points, 0 to 15 (low 4 bits);
//! - 2 bytes per cut point (little-endian, taken modulo `len + 1`);
//! - the rest: the bytes the "server" sends.
//!
//! Invariants checked (those the reader's docs and its tests promise):
//! no panic; `bytes_seen` equals the bytes fed; once `feed` returns `Done` or
//! an error, every later `feed` and `finish` returns the same outcome; the
//! outcome (response, or error kind and message) is the same as feeding the
//! bytes in one piece; a response's `body_bytes` never exceeds `max_body`,
//! its status is 200 to 999, its version 0 or 1, a bodiless response counts
//! no body bytes; an error is `ClosedBeforeResponse` exactly when no byte
//! came (that it is one of the reader's kinds, `http::ErrorKind`, the type says).
#![no_main]

use libfuzzer_sys::fuzz_target;
use slow_client::http::{
    BodyFraming, ErrorKind, ResponseLimits, Progress, ResponseError, Response, ResponseReader,
};

type Outcome = Result<Response, ResponseError>;

/// The same tight limits as the proptests in `tests/response_reader/props.rs`:
/// small enough for short inputs to hit every one of them.
const TIGHT: ResponseLimits = ResponseLimits {
    max_head: 300,
    max_header_line: 64,
    max_headers: 6,
    max_body: 120,
};

struct Case<'a> {
    limits: ResponseLimits,
    byte_at_a_time: bool,
    cuts: Vec<usize>,
    input: &'a [u8],
}

/// Splits the fuzz input into choices and payload; `None` if it is too short
/// to hold the choices it announces.
fn decode(data: &[u8]) -> Option<Case<'_>> {
    let (&control, rest) = data.split_first()?;
    let (limits, rest) = match control & 0b11 {
        1 => (TIGHT, rest),
        2 => {
            let (l, rest) = rest.split_first_chunk::<4>()?;
            // Zero is allowed on purpose: any `ResponseLimits` value must be safe.
            let limits = ResponseLimits {
                max_head: usize::from(l[0]) * 4,
                max_header_line: usize::from(l[1]),
                max_headers: usize::from(l[2] % 16),
                max_body: u64::from(l[3]) * 2,
            };
            (limits, rest)
        }
        _ => (ResponseLimits::default(), rest),
    };
    let (&count, mut rest) = rest.split_first()?;
    let mut raw_cuts = Vec::new();
    for _ in 0..(count & 0x0f) {
        let (cut, tail) = rest.split_first_chunk::<2>()?;
        raw_cuts.push(usize::from(u16::from_le_bytes(*cut)));
        rest = tail;
    }
    let mut cuts: Vec<usize> = raw_cuts.iter().map(|c| c % (rest.len() + 1)).collect();
    // Repeated cuts are kept: they feed empty slices, which must change nothing.
    cuts.sort_unstable();
    Some(Case {
        limits,
        byte_at_a_time: control & 0b100 != 0,
        cuts,
        input: rest,
    })
}

/// Asserts that a settled reader repeats `outcome` from `feed` and `finish`,
/// whatever it is fed, and still counts the bytes.
fn assert_repeats(reader: &mut ResponseReader, outcome: &Outcome, fed: &mut u64) {
    let again = reader.feed(b"HTTP/1.1 200 OK\r\n\r\n");
    *fed += 19;
    match (outcome, again) {
        (Ok(expected), Ok(Progress::Done(got))) => assert_eq!(&got, expected),
        (Err(expected), Err(got)) => assert_eq!(&got, expected),
        (expected, got) => panic!("settled on {expected:?}, then feed gave {got:?}"),
    }
    assert_eq!(&reader.finish(), outcome, "finish after settling");
    assert_eq!(reader.bytes_seen(), *fed, "bytes_seen after settling");
}

/// Feeds `pieces` in order (all of them, even after the outcome is settled),
/// then closes; checks the per-call invariants on the way.
fn read<'a>(limits: ResponseLimits, pieces: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut reader = ResponseReader::new(limits);
    let mut fed = 0u64;
    let mut settled: Option<Outcome> = None;
    for piece in pieces {
        let step = reader.feed(piece);
        fed += piece.len() as u64;
        assert_eq!(reader.bytes_seen(), fed, "bytes_seen");
        let now = match step {
            Ok(Progress::NeedMore) => {
                assert!(settled.is_none(), "NeedMore after {settled:?}");
                continue;
            }
            Ok(Progress::Done(response)) => Ok(response),
            Err(err) => Err(err),
        };
        match &settled {
            Some(before) => assert_eq!(&now, before, "a settled reader changed its outcome"),
            None => settled = Some(now),
        }
    }
    let outcome = match settled {
        Some(outcome) => {
            assert_eq!(reader.finish(), outcome, "finish after Done or an error");
            outcome
        }
        None => reader.finish(),
    };
    assert_repeats(&mut reader, &outcome, &mut fed);
    outcome
}

fn check_outcome(limits: ResponseLimits, input: &[u8], outcome: &Outcome) {
    match outcome {
        Ok(response) => {
            assert!(
                response.body_bytes <= limits.max_body,
                "body_bytes {} over max_body {}",
                response.body_bytes,
                limits.max_body
            );
            assert!(
                response.body_bytes <= input.len() as u64,
                "more body than bytes"
            );
            assert!(
                (200..=999).contains(&response.status),
                "final status {}",
                response.status
            );
            assert!(response.version <= 1, "version {}", response.version);
            if response.framing == BodyFraming::Empty {
                assert_eq!(response.body_bytes, 0, "a bodiless response counted a body");
            }
        }
        Err(err) => {
            assert_eq!(
                err.kind == ErrorKind::ClosedBeforeResponse,
                input.is_empty(),
                "ClosedBeforeResponse exactly when no byte came: {err}"
            );
            assert!(!err.message.is_empty(), "an error without a message");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(case) = decode(data) else {
        return;
    };
    let (limits, input) = (case.limits, case.input);
    let whole = read(limits, [input]);
    check_outcome(limits, input, &whole);

    let mut start = 0;
    let mut pieces = Vec::with_capacity(case.cuts.len() + 1);
    for &end in &case.cuts {
        pieces.push(&input[start..end]);
        start = end;
    }
    pieces.push(&input[start..]);
    assert_eq!(read(limits, pieces), whole, "split at {:?}", case.cuts);

    if case.byte_at_a_time {
        assert_eq!(read(limits, input.chunks(1)), whole, "one byte at a time");
    }
});
