//! The outbox's rules, each pinned by a unit test.
use super::*;
use crate::server::date::http_date;
use std::time::Duration;

const OLD: &[u8; HTTP_DATE_LEN] = b"Thu, 01 Jan 1970 00:00:00 GMT";
const DATE: [u8; HTTP_DATE_LEN] = *OLD;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Owes `text` (whose `@` marks where a date goes) due at `due`.
fn owe(outbox: &mut Outbox, text: &str, due: Instant) {
    let date_at = text.find('@').map(|i| outbox.buffer().len() + i);
    outbox.buffer().extend_from_slice(text.as_bytes());
    if let Some(at) = date_at {
        outbox.buffer().splice(at..=at, OLD.iter().copied());
    }
    outbox.owe(due, date_at, Some(Verdict::Answered), None);
}

#[test]
fn a_stream_releases_its_bytes_on_schedule_and_holds_back_what_follows() {
    let t0 = Instant::now();
    let mut outbox = Outbox::default();
    let drip = Drip {
        numbytes: 4,
        duration_ms: 400,
        delay_ms: 100,
        code: 200,
    };
    owe(&mut outbox, "HEAD", t0 + ms(100));
    outbox.owe_stream(drip, t0, Some(Verdict::Answered), None);
    owe(&mut outbox, "NEXT", t0);
    assert_eq!(outbox.next_due(), Some(t0 + ms(100)));
    assert_eq!(outbox.stream_ready(t0 + ms(500)), 0, "the head first");
    assert_eq!(outbox.ready(t0 + ms(500), &DATE), b"HEAD");
    assert_eq!(outbox.next_due(), None, "waits for the head's write");
    assert_eq!(outbox.wrote(4).count(), 1);
    assert_eq!(outbox.stream_ready(t0 + ms(100)), 1);
    assert!(outbox.stream_wrote(1).is_none());
    assert_eq!(outbox.next_due(), Some(t0 + ms(200)));
    assert_eq!(
        outbox.ready(t0 + ms(250), &DATE),
        b"",
        "NEXT waits for the body"
    );
    // A late timer sends what fell due meanwhile in one write.
    assert_eq!(outbox.stream_ready(t0 + ms(350)), 2);
    assert!(outbox.stream_wrote(2).is_none());
    assert_eq!(outbox.stream_ready(t0 + ms(399)), 0);
    let done = outbox.stream_wrote(1).expect("the body is complete");
    assert_eq!(done.verdict, Some(Verdict::Answered));
    assert_eq!(done.due, t0 + ms(400), "the last byte's due time");
    assert_eq!(outbox.ready(t0 + ms(400), &DATE), b"NEXT");
}

#[test]
fn entries_without_bytes_keep_their_place_when_the_written_buffer_is_cleared() {
    // Found by the lab's property test: a stream owed behind a response written in
    // full kept the old buffer's offset after the buffer was cleared.
    let t0 = Instant::now();
    let mut outbox = Outbox::default();
    owe(&mut outbox, "FIRST RESPONSE", t0);
    outbox.owe_stream(
        Drip {
            numbytes: 1,
            duration_ms: 0,
            delay_ms: 0,
            code: 200,
        },
        t0,
        Some(Verdict::Answered),
        None,
    );
    owe(&mut outbox, "", t0 + ms(10));
    assert_eq!(outbox.ready(t0, &DATE), b"FIRST RESPONSE");
    assert_eq!(outbox.wrote(14).count(), 1);
    assert_eq!(outbox.stream_ready(t0), 1);
    assert!(outbox.stream_wrote(1).is_some());
    // The buffer is cleared here: the empty entry's place must follow.
    owe(&mut outbox, "NEXT", t0 + ms(20));
    assert_eq!(outbox.ready(t0 + ms(10), &DATE), b"");
    assert_eq!(outbox.wrote(0).count(), 1);
    assert_eq!(outbox.ready(t0 + ms(20), &DATE), b"NEXT");
    assert_eq!(outbox.wrote(4).count(), 1);
    assert!(outbox.is_empty());
}

#[test]
fn an_entry_without_bytes_is_done_once_due_and_not_before() {
    let t0 = Instant::now();
    let mut outbox = Outbox::default();
    owe(&mut outbox, "", t0 + ms(50));
    assert_eq!(outbox.ready(t0, &DATE), b"");
    assert_eq!(outbox.wrote(0).count(), 0, "not due yet");
    assert_eq!(outbox.ready(t0 + ms(50), &DATE), b"");
    assert_eq!(outbox.wrote(0).count(), 1);
    assert!(outbox.is_empty());
}

#[test]
fn a_later_shorter_delay_waits_for_the_earlier_response() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut outbox = Outbox::default();
    owe(&mut outbox, "slow|", ms(300));
    owe(&mut outbox, "fast|", ms(100));
    owe(&mut outbox, "now|", ms(0));
    assert_eq!(outbox.ready(ms(150), OLD), b"");
    assert_eq!(outbox.next_due(), Some(ms(300)));
    // Once the first is due, all three go out together, in order.
    assert_eq!(outbox.ready(ms(300), OLD), b"slow|fast|now|");
    assert_eq!(outbox.wrote(14).count(), 3);
    assert!(outbox.is_empty());
}

#[test]
fn partly_written_responses_stay_owed_and_resume_where_they_stopped() {
    let t0 = Instant::now();
    let mut outbox = Outbox::default();
    owe(&mut outbox, "first|", t0);
    owe(&mut outbox, "second|", t0);
    assert_eq!(outbox.ready(t0, OLD), b"first|second|");
    let finished: Vec<usize> = outbox.wrote(8).map(|o| o.end).collect();
    assert_eq!(finished, [6], "only the first is complete");
    assert_eq!((outbox.len(), outbox.counted()), (1, 1));
    assert_eq!(outbox.ready(t0, OLD), b"cond|");
    assert_eq!(outbox.wrote(5).count(), 1);
    assert_eq!(outbox.ready(t0, OLD), b"");
    assert!(
        outbox.bytes.is_empty() && outbox.bytes.capacity() > 0,
        "kept for the next"
    );
}

#[test]
fn a_recycled_outbox_is_empty_and_keeps_its_capacity() {
    let t0 = Instant::now();
    let mut outbox = Outbox::default();
    owe(&mut outbox, "owed and never written|", t0);
    let capacity = outbox.bytes.capacity();
    let outbox = outbox.recycle().unwrap();
    assert!(outbox.is_empty() && outbox.bytes.is_empty());
    assert_eq!(outbox.bytes.capacity(), capacity);
    let mut huge = Outbox::default();
    huge.buffer().reserve(REUSE_UP_TO + 1);
    assert!(huge.recycle().is_none());
}

#[test]
fn the_date_is_the_one_current_when_the_response_falls_due() {
    let t0 = Instant::now();
    let mut outbox = Outbox::default();
    owe(&mut outbox, "Date: @\r\n", t0 + Duration::from_secs(2));
    let later = http_date(784_111_777);
    let ready = outbox.ready(t0 + Duration::from_secs(2), &later).to_vec();
    assert_eq!(ready, [&b"Date: "[..], &later[..], b"\r\n"].concat());
}

#[test]
fn a_response_cut_after_its_date_survives_compaction() {
    // 20 responses of 1 KiB, each with its Date 10 bytes in; the write stops
    // 100 bytes into the 17th, past its Date: dropping the written front must not
    // move that Date's place below zero.
    let t0 = Instant::now();
    let mut outbox = Outbox::default();
    for _ in 0..20 {
        let text = format!(
            "{}@{}",
            "h".repeat(10),
            "b".repeat(1024 - 10 - HTTP_DATE_LEN)
        );
        owe(&mut outbox, &text, t0);
    }
    let total = outbox.ready(t0, OLD).len();
    assert_eq!(total, 20 * 1024);
    let cut = 16 * 1024 + 100;
    assert_eq!(outbox.wrote(cut).count(), 16);
    let rest = outbox.ready(t0, OLD).len();
    assert_eq!(
        rest,
        total - cut,
        "the rest resumes where the write stopped"
    );
    assert_eq!(outbox.wrote(rest).count(), 4);
    assert!(outbox.is_empty());
}

#[test]
fn the_last_response_owed_is_made_to_say_close_unless_it_is_being_written() {
    let t0 = Instant::now();
    let later = t0 + Duration::from_secs(1);
    let mut outbox = Outbox::default();
    owe(&mut outbox, "A\r\nDate: @\r\n\r\nbody-a", t0);
    owe(&mut outbox, "B\r\nDate: @\r\n\r\nbody-b", later);
    assert!(outbox.close_last());
    assert!(outbox.close_last(), "twice is once");
    let ready = outbox.ready(later, OLD).to_vec();
    let want = format!(
        "A\r\nDate: {0}\r\n\r\nbody-aB\r\nDate: {0}\r\nConnection: close\r\n\r\nbody-b",
        std::str::from_utf8(OLD).unwrap()
    );
    assert_eq!(String::from_utf8(ready).unwrap(), want);
    assert_eq!(outbox.wrote(want.len()).count(), 2);

    // An HTTP/1.0 keep-alive answer: the field is replaced, not doubled.
    owe(
        &mut outbox,
        "C\r\nDate: @\r\nConnection: keep-alive\r\n\r\nc",
        later,
    );
    assert!(outbox.close_last());
    let ready = String::from_utf8(outbox.ready(later, OLD).to_vec()).unwrap();
    assert!(
        ready.ends_with("\r\nConnection: close\r\n\r\nc"),
        "{ready:?}"
    );
    assert!(!ready.contains("keep-alive"), "{ready:?}");

    // Being written: left alone.
    outbox.wrote(3).count();
    assert!(!outbox.close_last());
    assert!(!Outbox::default().close_last());
}

#[test]
fn written_bytes_are_dropped_from_the_front_without_losing_places() {
    let t0 = Instant::now();
    let mut outbox = Outbox::default();
    let big = "x".repeat(COMPACT_AT);
    owe(&mut outbox, &big, t0);
    owe(&mut outbox, "@|tail", t0 + Duration::from_secs(1));
    assert_eq!(outbox.ready(t0, OLD).len(), COMPACT_AT);
    assert_eq!(outbox.wrote(COMPACT_AT).count(), 1);
    assert_eq!(outbox.ready(t0, OLD), b"", "not due yet");
    assert_eq!(outbox.bytes.len(), HTTP_DATE_LEN + 5, "front dropped");
    let new = http_date(1);
    let ready = outbox.ready(t0 + Duration::from_secs(1), &new).to_vec();
    assert_eq!(ready, [&new[..], b"|tail"].concat());
}
