//! One test per pacing rule, driven by hand-made events and instants.

use super::*;

const WAIT: Duration = Duration::from_secs(2);

fn pacer(count: usize, max_connecting: usize, ahead: usize) -> (Pacer, Instant) {
    let t0 = Instant::now();
    let pace = Pace {
        count,
        max_connecting,
        ahead,
        head_wait: WAIT,
    };
    (Pacer::new(pace, t0), t0)
}

/// Starts every connect the pacer allows now; their indexes.
fn start_all(p: &mut Pacer) -> Vec<usize> {
    std::iter::from_fn(|| p.start_connect()).collect()
}

#[test]
fn connects_stop_at_the_budget_and_a_finished_one_frees_its_slot() {
    let (mut p, _) = pacer(10, 3, 100);
    assert_eq!(start_all(&mut p), [0, 1, 2]);
    assert!(
        !p.connect_finished(1),
        "not passed: the writer has not started"
    );
    assert_eq!(start_all(&mut p), [3]);
}

#[test]
fn connects_run_at_most_the_window_ahead_of_the_writer() {
    let (mut p, t0) = pacer(10, 100, 4);
    assert_eq!(start_all(&mut p), [0, 1, 2, 3]);
    for i in 0..4 {
        p.connect_finished(i);
    }
    assert!(p.start_connect().is_none(), "the window is full");
    assert!(p.writer_started(t0));
    assert_eq!(p.next_write(Cursor::Connected, t0), Write::Request(0));
    p.written();
    assert_eq!(
        start_all(&mut p),
        [4],
        "one write makes room for one connect"
    );
}

#[test]
fn the_writer_starts_when_the_first_connects_are_done() {
    let (mut p, t0) = pacer(3, 100, 8);
    assert_eq!(start_all(&mut p), [0, 1, 2]);
    p.connect_finished(0);
    p.connect_finished(1);
    assert!(!p.writer_started(t0), "one connect still under way");
    p.connect_finished(2);
    assert!(p.writer_started(t0));
}

#[test]
fn the_writer_starts_after_the_head_wait_whatever_the_connects() {
    let (mut p, t0) = pacer(3, 100, 8);
    start_all(&mut p);
    assert!(!p.writer_started(t0 + WAIT - Duration::from_millis(1)));
    assert!(p.writer_started(t0 + WAIT));
}

#[test]
fn the_writer_goes_in_id_order_and_waits_for_a_connect_under_way() {
    let (mut p, t0) = pacer(3, 100, 2);
    start_all(&mut p);
    p.connect_finished(1);
    assert!(p.writer_started(t0 + WAIT));
    assert_eq!(p.cursor(), Some(0));
    // Request 1 is connected, but request 0 comes first.
    assert_eq!(
        p.next_write(Cursor::Connecting(t0), t0 + Duration::from_millis(5)),
        Write::Wait
    );
    assert_eq!(p.cursor(), Some(0));
    assert!(!p.connect_finished(0));
    assert_eq!(p.next_write(Cursor::Connected, t0), Write::Request(0));
    p.written();
    assert_eq!(p.next_write(Cursor::Connected, t0), Write::Request(1));
}

#[test]
fn a_passed_connect_that_finishes_frees_no_slot_a_second_time() {
    // Budget 2 with 4 requests: passing request 0 frees its slot (request 2
    // starts); when 0's connect finally finishes it must not free another.
    let (mut p, t0) = pacer(4, 2, 8);
    assert_eq!(start_all(&mut p), [0, 1]);
    assert!(p.writer_started(t0 + WAIT));
    assert_eq!(
        p.next_write(Cursor::Connecting(t0), t0 + WAIT),
        Write::Moved
    );
    assert_eq!(start_all(&mut p), [2], "passing freed request 0's slot");
    assert!(p.connect_finished(0), "a passed connect sends at once");
    assert!(
        p.start_connect().is_none(),
        "1 and 2 still hold both slots: finishing 0 freed nothing"
    );
    assert!(!p.connect_finished(1));
    assert_eq!(p.start_connect(), Some(3), "finishing 1 frees its slot");
}

#[test]
fn a_hanging_connect_is_passed_and_frees_its_budget_once() {
    let (mut p, t0) = pacer(3, 2, 8);
    assert_eq!(start_all(&mut p), [0, 1]);
    assert!(p.writer_started(t0 + WAIT));
    assert_eq!(
        p.next_write(Cursor::Connecting(t0), t0 + WAIT),
        Write::Moved
    );
    assert_eq!(p.cursor(), Some(1));
    assert_eq!(start_all(&mut p), [2], "passing freed request 0's slot");
    // When the passed connect finally finishes it sends at once, and frees nothing twice.
    assert!(p.connect_finished(0));
    assert!(
        p.start_connect().is_none(),
        "requests 1 and 2 still connecting"
    );
    assert!(!p.connect_finished(1));
}

#[test]
fn hanging_connects_are_timed_from_their_own_start() {
    let (mut p, t0) = pacer(3, 100, 8);
    start_all(&mut p);
    let later = t0 + Duration::from_millis(500);
    assert!(p.writer_started(t0 + WAIT));
    assert_eq!(
        p.next_write(Cursor::Connecting(t0), t0 + WAIT),
        Write::Moved
    );
    assert_eq!(
        p.next_write(Cursor::Connecting(later), t0 + WAIT),
        Write::Wait
    );
    assert_eq!(
        p.wake(Some(Cursor::Connecting(later))),
        Wake::At(later + WAIT)
    );
}

#[test]
fn requests_that_already_ended_are_skipped() {
    let (mut p, t0) = pacer(2, 100, 8);
    start_all(&mut p);
    p.connect_finished(0);
    p.connect_finished(1);
    assert!(p.writer_started(t0));
    assert_eq!(p.next_write(Cursor::Ended, t0), Write::Moved);
    assert_eq!(p.next_write(Cursor::Connected, t0), Write::Request(1));
    p.written();
    assert_eq!(p.cursor(), None, "all written");
}

#[test]
fn connects_per_turn_depend_on_the_writer() {
    let (mut p, t0) = pacer(100, 100, 10);
    assert_eq!(
        p.connects_this_turn(None, 16),
        usize::MAX,
        "before writing: all"
    );
    start_all(&mut p);
    assert!(p.writer_started(t0 + WAIT));
    assert_eq!(p.connects_this_turn(Some(Cursor::Connected), 16), 0);
    assert_eq!(p.connects_this_turn(Some(Cursor::Connecting(t0)), 16), 16);
}

#[test]
fn the_loop_wakes_for_work_for_the_head_wait_or_only_on_events() {
    let (mut p, t0) = pacer(2, 1, 8);
    assert_eq!(p.wake(None), Wake::Now, "a connect may start");
    start_all(&mut p);
    assert_eq!(
        p.wake(None),
        Wake::At(t0 + WAIT),
        "waiting for the first connects"
    );
    p.connect_finished(0);
    start_all(&mut p);
    p.connect_finished(1);
    assert!(p.writer_started(t0));
    assert_eq!(p.wake(Some(Cursor::Connected)), Wake::Now);
    p.written();
    p.written();
    assert_eq!(p.wake(None), Wake::OnEvent);
}

#[test]
fn the_writer_writes_on_while_no_answer_can_be_due_within_the_margin() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut due = FirstDue::default();
    assert!(due.may_write_on(t0, ms(1)), "nothing written yet");
    due.written(t0, ms(9000));
    due.written(t0 + ms(1), ms(5));
    assert!(due.may_write_on(t0 + ms(3), ms(1)), "first due at 6 ms");
    assert!(
        !due.may_write_on(t0 + ms(5), ms(1)),
        "due within the margin"
    );
    due.written(t0 + ms(2), Duration::ZERO);
    assert!(!due.may_write_on(t0 + ms(2), ms(1)), "step 0: due at once");
}
