//! The write burst: the requests written strictly in the pacer's order, one
//! connect started after each; see [the burst](super#the-burst).

use super::pacer::Write as WriteStep;
use super::Report;
use super::{id_of, Client, Out, DUE_MARGIN, WRITE_CHUNK};
use crate::client::exchange::Next;
use crate::plan;
use std::time::{Duration, Instant};

impl Client<'_> {
    /// Writes the requests in the order the pacer gives, starting one connect
    /// after each: [`WRITE_CHUNK`] of them, or more while no answer can be
    /// due; see [the burst](super#the-burst).
    pub(super) fn write_burst(&mut self, reporter: &mut impl Report) -> Out {
        if !self.pacer.writer_started(Instant::now()) {
            return Ok(());
        }
        let mut written = 0;
        while written < WRITE_CHUNK || self.first_due.may_write_on(Instant::now(), DUE_MARGIN) {
            let Some(cursor) = self.cursor() else {
                return Ok(());
            };
            match self.pacer.next_write(cursor, Instant::now()) {
                WriteStep::Request(index) => {
                    let now = Instant::now();
                    self.stalls.mark(now);
                    let delay = Duration::from_millis(self.config.delay(index));
                    self.first_due.written(now, delay);
                    self.pacer.written();
                    let next = self.send_request(index);
                    self.after(index, next, reporter)?;
                    written += 1;
                }
                WriteStep::Moved => {}
                WriteStep::Wait => return Ok(()),
            }
            // One connect per step keeps the window ahead full while spacing
            // connects evenly between writes.
            self.start_one(reporter)?;
        }
        Ok(())
    }

    /// Builds request `index`'s bytes in the shared scratch buffer and sends them.
    pub(super) fn send_request(&mut self, index: usize) -> Next {
        let (id, delay) = (id_of(index), self.config.delay(index));
        let target = self.config.target(index);
        plan::write_request(
            &mut self.request,
            &self.config.path,
            &target.host,
            id,
            delay,
        );
        self.exchanges[index].send(self.request.as_bytes())
    }
}
