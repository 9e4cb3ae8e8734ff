//! The CPU profiles in the report: tables of perf sample shares, under
//! "Where the time goes".

use super::super::report::{Align, Block, Chapter, Findings, Table, WHERE_TIME_GOES};
use super::super::Measured;
use super::{Profile, Profiles};

/// The profiles' part of "Where the time goes" (they judge no target).
pub fn findings(profile: &Measured<Profiles>) -> Findings {
    let p = match profile {
        Measured::Done(p) => p,
        Measured::Skipped(why) => {
            let blocks = vec![
                Block::Subheading("CPU profiles"),
                Block::Text(format!("Not profiled: {why}.")),
            ];
            return Findings {
                targets: Vec::new(),
                chapters: vec![Chapter::new(WHERE_TIME_GOES, blocks)],
            };
        }
    };
    let mut blocks = dispatch_profile(&p.dispatch);
    let c = &p.client;
    blocks.push(Block::Subheading("CPU profile of 9,000 requests"));
    blocks.push(Block::Text(format!(
        "`{}` (embedded server: both ends), {:.0} ms of CPU sampled. `cpu-clock` is a\n\
         software event (this VM exposes no hardware counters); samples that fall while\n\
         interrupts are disabled are charged to where they are re-enabled\n\
         (`_raw_spin_unlock_irqrestore`).",
        c.command, c.sampled_ms
    )));
    blocks.push(shares("object (self time)", &c.by_object));
    let mut syscalls = c.by_syscall.clone();
    syscalls.truncate(10);
    if let Some(net) = c.softirq_net {
        let name = "net_rx_action (loopback receive, inside the syscalls above)";
        syscalls.push((name.into(), net));
    }
    blocks.push(shares("syscall (inclusive)", &syscalls));
    blocks.push(shares("function (self time)", &c.hottest));
    Findings {
        targets: Vec::new(),
        chapters: vec![Chapter::new(WHERE_TIME_GOES, blocks)],
    }
}

fn shares(title: &str, rows: &[(String, f64)]) -> Block {
    let mut table = Table::new(&[(title, Align::Left), ("share of samples", Align::Right)]);
    // Rows that round to 0.0% say nothing.
    for (name, pct) in rows.iter().filter(|(_, pct)| *pct >= 0.05) {
        table.row(vec![format!("`{name}`"), format!("{pct:.1}%")]);
    }
    Block::Table(table)
}

/// Where a kept-readable wait's time goes, raw libc and epoll-safe side by side.
fn dispatch_profile(probes: &[(&str, Profile)]) -> Vec<Block> {
    let Some((_, first)) = probes.first() else {
        return Vec::new();
    };
    let mut columns = vec![("where (self time)", Align::Left)];
    columns.extend(probes.iter().map(|(name, _)| (*name, Align::Right)));
    let mut table = Table::new(&columns);
    let share = |p: &Profile, pick: &dyn Fn(&str) -> bool, of_objects: bool| -> f64 {
        let rows = if of_objects { &p.by_object } else { &p.hottest };
        rows.iter().filter(|(n, _)| pick(n)).map(|(_, v)| v).sum()
    };
    let mut line = |label: &str, pick: &dyn Fn(&str) -> bool, of_objects: bool| {
        let mut cells = vec![label.to_string()];
        cells.extend(
            probes
                .iter()
                .map(|(_, p)| format!("{:.1}%", share(p, pick, of_objects))),
        );
        table.row(cells);
    };
    line("kernel, all", &|n| n == "[kernel.kallsyms]", true);
    line(
        "the bench binary (wait wrapper, event loop, token sum)",
        &|n| n.starts_with("dispatch"),
        true,
    );
    line(
        "libc.so.6 (the epoll_wait stub)",
        &|n| n == "libc.so.6",
        true,
    );
    let mut top: Vec<&str> = Vec::new();
    for (_, p) in probes {
        for (name, _) in p.hottest.iter().take(7) {
            if name.starts_with("[k]") && !top.contains(&name.as_str()) {
                top.push(name);
            }
        }
    }
    for name in top {
        line(&format!("`{name}`"), &|n| n == name, false);
    }
    vec![
        Block::Subheading("CPU profile of a dispatch wait"),
        Block::Text(format!(
            "`{}`, where `dispatch` is the bench's executable run directly, and the same\n\
             with each column's name: 64 eventfds kept readable.",
            first.command
        )),
        Block::Table(table),
    ]
}
