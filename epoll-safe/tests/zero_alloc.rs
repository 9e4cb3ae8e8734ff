//! `wait` never allocates: the kernel writes into the spare capacity of
//! `Events`. Counted with a global allocator over 1,000 waits that return
//! events and 1,000 that time out.

mod util;

use epoll_safe::{Epoll, Events, Interest, Token, Waker};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;
use util::pipe;

/// Counts allocations made by the current thread only: the test harness's
/// own threads allocate whenever they like.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the
// thread-local counter is const-initialised, so touching it never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn the_counter_sees_allocations() {
    let before = allocations();
    let v: Vec<u8> = Vec::with_capacity(std::hint::black_box(64));
    assert_eq!(allocations() - before, 1);
    drop(v);
    let _events = Events::default();
    assert_eq!(allocations() - before, 2, "Events allocates once, up front");
}

#[test]
fn wait_never_allocates() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, Token(1)).unwrap();
    let (_r, w) = pipe();
    epoll.add(&w, Token(2), Interest::WRITABLE).unwrap();
    let mut events = Events::default();
    // Warm up: the first timed wait probes epoll_pwait2 (a syscall and an
    // atomic store, still no allocation, but keep the loop uniform).
    epoll
        .wait(&mut events, Some(Duration::from_micros(1)))
        .unwrap();

    let before = allocations();
    let mut seen = 0;
    for _ in 0..1_000 {
        waker.wake().unwrap();
        seen += epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
        seen += epoll.wait(&mut events, None).unwrap();
        seen += events.iter().filter(|e| e.is_writable()).count();
    }
    let allocated = allocations() - before;
    assert_eq!(allocated, 0, "waits allocated {allocated} times");
    assert!(seen >= 3_000, "the waits returned too few events ({seen})");
}

#[test]
fn timed_out_waits_never_allocate() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::default();
    epoll
        .wait(&mut events, Some(Duration::from_micros(1)))
        .unwrap();
    let before = allocations();
    for _ in 0..1_000 {
        assert_eq!(
            epoll
                .wait(&mut events, Some(Duration::from_nanos(500)))
                .unwrap(),
            0
        );
    }
    assert_eq!(allocations() - before, 0);
}
