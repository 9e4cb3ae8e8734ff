//! The CPU profiles of the report: tables of perf sample shares.

use super::super::profile::Profile;
use super::super::{Measured, Profiles};
use std::fmt::Write as _;

fn shares(s: &mut String, title: &str, rows: &[(String, f64)]) {
    let _ = writeln!(s, "| {title} | share of samples |\n|---|---:|");
    // Rows that round to 0.0% say nothing.
    for (name, pct) in rows.iter().filter(|(_, pct)| *pct >= 0.05) {
        let _ = writeln!(s, "| `{name}` | {pct:.1}% |");
    }
    s.push('\n');
}

pub(super) fn profile_section(s: &mut String, profile: Option<&Measured<Profiles>>) {
    let p = match profile {
        Some(Measured::Done(p)) => p,
        Some(Measured::Skipped(why)) => {
            let _ = writeln!(s, "### CPU profiles\n\nNot profiled: {why}.\n");
            return;
        }
        None => return,
    };
    dispatch_profile(s, &p.dispatch);
    let c = &p.client;
    let _ = writeln!(
        s,
        "### CPU profile of 9,000 requests\n\n\
         `{}` (embedded server: both ends), {:.0} ms of CPU sampled. `cpu-clock` is a\n\
         software event (this VM exposes no hardware counters); samples that fall while\n\
         interrupts are disabled are charged to where they are re-enabled\n\
         (`_raw_spin_unlock_irqrestore`).\n",
        c.command, c.sampled_ms
    );
    shares(s, "object (self time)", &c.by_object);
    let mut syscalls = c.by_syscall.clone();
    syscalls.truncate(10);
    if let Some(net) = c.softirq_net {
        let name = "net_rx_action (loopback receive, inside the syscalls above)";
        syscalls.push((name.into(), net));
    }
    shares(s, "syscall (inclusive)", &syscalls);
    shares(s, "function (self time)", &c.hottest);
}

/// Where a kept-readable wait's time goes, raw libc and epoll-safe side by side.
fn dispatch_profile(s: &mut String, probes: &[(&str, Profile)]) {
    let Some((_, first)) = probes.first() else {
        return;
    };
    let _ = writeln!(
        s,
        "### CPU profile of a dispatch wait\n\n\
         `{}`, where `dispatch` is the bench's executable run directly, and the same\n\
         with each column's name: 64 eventfds kept readable.\n",
        first.command
    );
    let names: Vec<&str> = probes.iter().map(|(n, _)| *n).collect();
    let _ = writeln!(s, "| where (self time) | {} |", names.join(" | "));
    let _ = writeln!(s, "|---|{}", "---:|".repeat(probes.len()));
    let share = |p: &Profile, pick: &dyn Fn(&str) -> bool, of_objects: bool| -> f64 {
        let rows = if of_objects { &p.by_object } else { &p.hottest };
        rows.iter().filter(|(n, _)| pick(n)).map(|(_, v)| v).sum()
    };
    let mut line = |label: &str, pick: &dyn Fn(&str) -> bool, of_objects: bool| {
        let cells: Vec<String> = probes
            .iter()
            .map(|(_, p)| format!("{:.1}%", share(p, pick, of_objects)))
            .collect();
        let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
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
    s.push('\n');
}
