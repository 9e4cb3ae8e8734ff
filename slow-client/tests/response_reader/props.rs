//! Properties of the response reader, over generated inputs: arbitrary and
//! mangled bytes never panic it and read the same however they are split;
//! generated valid responses read as what was generated, however split.

use proptest::prelude::*;
use proptest::sample::Index;
use slow_client::http::{
    BodyFraming, Progress, Response, ResponseError, ResponseLimits, ResponseReader,
};

/// Feeds `input` cut at `cuts` (any order, any repeats), then closes.
fn read_cut(
    limits: ResponseLimits,
    input: &[u8],
    cuts: &[Index],
) -> Result<Response, ResponseError> {
    let points = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
    read_at(limits, input, points)
}

fn one_byte_at_a_time(limits: ResponseLimits, input: &[u8]) -> Result<Response, ResponseError> {
    read_at(limits, input, (0..input.len()).collect())
}

fn read_at(
    limits: ResponseLimits,
    input: &[u8],
    mut points: Vec<usize>,
) -> Result<Response, ResponseError> {
    points.push(input.len());
    points.sort_unstable();
    let mut reader = ResponseReader::new(limits);
    let mut start = 0;
    for end in points {
        if let Progress::Done(response) = reader.feed(&input[start..end])? {
            return Ok(response);
        }
        start = end;
    }
    reader.finish()
}

/// ResponseLimits small enough for generated inputs to run into every one of them.
const TIGHT: ResponseLimits = ResponseLimits {
    max_head: 300,
    max_header_line: 64,
    max_headers: 6,
    max_body: 120,
};

/// A valid response as bytes, and what reading it must give.
fn valid_response() -> impl Strategy<Value = (Vec<u8>, Response)> {
    let status = prop_oneof![Just(200u16), Just(204), Just(304), 200..=599u16];
    let fields = prop::collection::vec(("[A-Za-z0-9]{1,8}", "[ -~]{0,24}"), 0..4);
    let chunk = (1usize..40, prop::option::of("[a-z]{1,5}(=[a-z0-9]{1,5})?"));
    let body = prop_oneof![
        (0usize..200).prop_map(Body::Length),
        (0usize..200).prop_map(Body::Close),
        (
            prop::collection::vec(chunk, 0..5),
            prop::collection::vec("[a-z]{1,6}", 0..3)
        )
            .prop_map(|(chunks, trailers)| Body::Chunked { chunks, trailers }),
    ];
    let informational =
        prop::collection::vec(prop_oneof![Just(100u16), Just(102), Just(103)], 0..3);
    (
        0u8..=1,
        status,
        "[A-Za-z][A-Za-z ]{0,15}",
        fields,
        body,
        informational,
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(
            |(version, status, reason, fields, body, informational, case_bits, bare_lf)| {
                render(Spec {
                    version,
                    status,
                    reason,
                    fields,
                    body,
                    informational,
                    case_bits,
                    bare_lf,
                })
            },
        )
}

#[derive(Debug, Clone)]
enum Body {
    Length(usize),
    Close(usize),
    Chunked {
        chunks: Vec<(usize, Option<String>)>,
        trailers: Vec<String>,
    },
}

struct Spec {
    version: u8,
    status: u16,
    reason: String,
    fields: Vec<(String, String)>,
    body: Body,
    informational: Vec<u16>,
    case_bits: u64,
    bare_lf: bool,
}

/// Upper- or lower-cases each letter of `name` by the bits of `bits`.
fn vary_case(name: &str, bits: u64) -> String {
    let flip = |(i, c): (usize, char)| {
        if bits >> (i % 64) & 1 == 1 {
            c.to_ascii_uppercase()
        } else {
            c
        }
    };
    name.chars().enumerate().map(flip).collect()
}

fn render(spec: Spec) -> (Vec<u8>, Response) {
    let eol = if spec.bare_lf { "\n" } else { "\r\n" };
    let chunked = matches!(spec.body, Body::Chunked { .. });
    // Chunked framing in HTTP/1.0 is an error by design; keep this valid.
    let version = if chunked { 1 } else { spec.version };
    let mut out = String::new();
    for code in &spec.informational {
        out += &format!("HTTP/1.1 {code} Info{eol}X-Hint: {code}{eol}{eol}");
    }
    out += &format!("HTTP/1.{version} {} {}{eol}", spec.status, spec.reason);
    for (name, value) in &spec.fields {
        out += &format!("X-{name}: {value}{eol}");
    }
    let bodiless = matches!(spec.status, 204 | 304);
    let mut body = String::new();
    let (framing, body_bytes) = match &spec.body {
        Body::Length(n) => {
            out += &format!("{}: {n}{eol}", vary_case("content-length", spec.case_bits));
            body = "b".repeat(*n);
            (BodyFraming::Length, *n)
        }
        Body::Close(n) => {
            body = "c".repeat(*n);
            (BodyFraming::Close, *n)
        }
        Body::Chunked { chunks, trailers } => {
            out += &format!(
                "{}: {}{eol}",
                vary_case("transfer-encoding", spec.case_bits),
                vary_case("chunked", !spec.case_bits)
            );
            for (size, ext) in chunks {
                let ext = ext.as_ref().map(|e| format!(";{e}")).unwrap_or_default();
                body += &format!("{size:x}{ext}\r\n{}\r\n", "d".repeat(*size));
            }
            body += "0\r\n";
            for name in trailers {
                body += &format!("{name}: t\r\n");
            }
            body += "\r\n";
            (BodyFraming::Chunked, chunks.iter().map(|c| c.0).sum())
        }
    };
    out += eol;
    let expected = Response {
        version,
        status: spec.status,
        reason: spec.reason,
        body_bytes: if bodiless { 0 } else { body_bytes as u64 },
        framing: if bodiless {
            BodyFraming::Empty
        } else {
            framing
        },
        informational: spec.informational.len() as u32,
    };
    if !bodiless {
        out += &body;
    }
    (out.into_bytes(), expected)
}

/// Bytes that are often almost a response: valid ones with a few bytes
/// changed, inserted or removed, or a plausible head before random bytes.
fn mangled_bytes() -> impl Strategy<Value = Vec<u8>> {
    let edits = prop::collection::vec((any::<Index>(), any::<u8>(), 0u8..3), 1..4);
    let mangled = (valid_response(), edits).prop_map(|((mut bytes, _), edits)| {
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => bytes.push(byte),
            }
        }
        bytes
    });
    let heads = prop_oneof![
        Just(&b""[..]),
        Just(&b"HTTP/1.1 200 OK\r\n"[..]),
        Just(&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"[..]),
        Just(&b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"[..]),
    ];
    let random_tail = (heads, prop::collection::vec(any::<u8>(), 0..300))
        .prop_map(|(head, tail)| [head, &tail].concat());
    prop_oneof![mangled, random_tail]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn valid_responses_read_as_generated_however_split(
        (input, expected) in valid_response(),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        prop_assert_eq!(read_cut(ResponseLimits::default(), &input, &[]), Ok(expected.clone()));
        prop_assert_eq!(read_cut(ResponseLimits::default(), &input, &cuts), Ok(expected.clone()));
        prop_assert_eq!(one_byte_at_a_time(ResponseLimits::default(), &input), Ok(expected));
    }

    #[test]
    fn any_bytes_read_the_same_however_split_and_never_panic(
        input in mangled_bytes(),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        for limits in [ResponseLimits::default(), TIGHT] {
            let whole = read_cut(limits, &input, &[]);
            prop_assert_eq!(read_cut(limits, &input, &cuts), whole.clone());
            prop_assert_eq!(one_byte_at_a_time(limits, &input), whole);
        }
    }
}
