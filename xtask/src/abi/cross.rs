//! The ABI check for other architectures: the C oracle and epoll-sys's table
//! built with Debian's cross toolchains and run under qemu-user.
//!
//! The C side is `xtask/abi/epoll_abi.c` built by the target's cross gcc
//! against that target's own glibc and kernel headers (`/usr/<gnu>/include`).
//! The Rust side is epoll-sys and `examples/abi_table.rs` built by Debian's
//! rustc (1.63, `/usr/bin/rustc`), the only Rust here with a standard library
//! for these targets (rustup cannot download more). That compiler predates
//! stable `core::ffi::c_int` (1.64), so epoll-sys is built with
//! `RUSTC_BOOTSTRAP=1 -Z crate-attr=feature(core_ffi_c)`: the same source, the
//! feature gate lifted for this one build, nothing changed for real users.

use crate::steps::{run_captured, target_dir, workspace_root, Outcome};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Debian's rustc, which has a standard library for each target below once
/// `libstd-rust-dev:ARCH` is installed.
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// epoll-sys's edition (the workspace's), for building it without cargo.
const EDITION: &str = "2021";

/// One architecture this machine can cross-build for and run under qemu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cross {
    /// Rust's target triple, e.g. `aarch64-unknown-linux-gnu`.
    pub triple: &'static str,
    /// The GNU triple: the prefix of `-gcc` and the sysroot `/usr/<gnu>`.
    pub gnu: &'static str,
    /// The suffix of `qemu-<arch>`.
    pub qemu: &'static str,
    /// Debian's name for the architecture (`dpkg --add-architecture`).
    pub debian: &'static str,
    /// Only statically linked programs run under this machine's
    /// qemu-ppc64le (a dynamic one dies before `main`).
    pub static_only: bool,
}

/// Every target `--all-targets` tries, in the order it reports them.
pub const TARGETS: [Cross; 6] = [
    Cross {
        triple: "aarch64-unknown-linux-gnu",
        gnu: "aarch64-linux-gnu",
        qemu: "aarch64",
        debian: "arm64",
        static_only: false,
    },
    Cross {
        triple: "armv7-unknown-linux-gnueabihf",
        gnu: "arm-linux-gnueabihf",
        qemu: "arm",
        debian: "armhf",
        static_only: false,
    },
    Cross {
        triple: "i686-unknown-linux-gnu",
        gnu: "i686-linux-gnu",
        qemu: "i386",
        debian: "i386",
        static_only: false,
    },
    Cross {
        triple: "powerpc64le-unknown-linux-gnu",
        gnu: "powerpc64le-linux-gnu",
        qemu: "ppc64le",
        debian: "ppc64el",
        static_only: true,
    },
    Cross {
        triple: "s390x-unknown-linux-gnu",
        gnu: "s390x-linux-gnu",
        qemu: "s390x",
        debian: "s390x",
        static_only: false,
    },
    Cross {
        triple: "mips64el-unknown-linux-gnuabi64",
        gnu: "mips64el-linux-gnuabi64",
        qemu: "mips64el",
        debian: "mips64el",
        static_only: false,
    },
];

impl Cross {
    /// The target called `triple`, if it is one of [`TARGETS`].
    pub fn find(triple: &str) -> Option<Cross> {
        TARGETS.iter().copied().find(|t| t.triple == triple)
    }

    /// The commands that install everything this target needs, as root.
    pub fn apt_line(&self) -> String {
        let Cross { gnu, debian, .. } = self;
        format!(
            "dpkg --add-architecture {debian} && apt-get update && apt-get install \
             rustc libstd-rust-dev:{debian} gcc-{gnu} libc6-dev-{debian}-cross qemu-user"
        )
    }

    /// What is missing to check this target, by package, or `None` when
    /// every tool is there.
    pub fn missing(&self, probe: &dyn Fn(&Path) -> bool) -> Option<String> {
        let mut missing = Vec::new();
        if !probe(Path::new(DEBIAN_RUSTC)) {
            missing.push("rustc".to_string());
        } else if !probe(&self.rust_std_dir()) {
            missing.push(format!("libstd-rust-dev:{}", self.debian));
        }
        let gcc = format!("{}-gcc", self.gnu);
        if !on_path(&gcc, probe) {
            missing.push(format!("gcc-{}", self.gnu));
        }
        if !probe(&self.sysroot().join("include/sys/epoll.h")) {
            missing.push(format!("libc6-dev-{}-cross", self.debian));
        }
        if !on_path(&format!("qemu-{}", self.qemu), probe) {
            missing.push("qemu-user".to_string());
        }
        (!missing.is_empty()).then(|| {
            format!(
                "skipped: install {} (as root: {})",
                missing.join(" "),
                self.apt_line()
            )
        })
    }

    /// Where Debian's `libstd-rust-dev:ARCH` puts the target's standard library.
    fn rust_std_dir(&self) -> PathBuf {
        Path::new("/usr/lib/rustlib").join(self.triple).join("lib")
    }

    /// The target's glibc and headers, as the `libc6-dev-ARCH-cross` package installs them.
    fn sysroot(&self) -> PathBuf {
        Path::new("/usr").join(self.gnu)
    }

    /// Builds both sides for this target, runs them under qemu, and returns
    /// their output: (C, epoll-sys).
    ///
    /// # Errors
    ///
    /// When a build or a run fails; the message names the command.
    pub fn tables(&self) -> Outcome<(String, String)> {
        let dir = target_dir()?.join("xtask").join(self.triple);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let root = workspace_root();
        let gcc = format!("{}-gcc", self.gnu);

        let c_exe = dir.join("epoll_abi");
        let mut cc = Command::new(&gcc);
        cc.args(["-std=gnu11", "-Wall", "-Wextra"]);
        if self.static_only {
            cc.arg("-static");
        }
        cc.arg("-o")
            .arg(&c_exe)
            .arg(root.join("xtask/abi/epoll_abi.c"));
        run_captured(cc)?;

        let mut lib = self.rustc(&gcc);
        lib.env("RUSTC_BOOTSTRAP", "1");
        lib.args(["-Z", "crate-attr=feature(core_ffi_c)"]);
        lib.args(["--crate-type", "rlib", "--crate-name", "epoll_sys"]);
        lib.arg("--out-dir").arg(&dir);
        lib.arg(root.join("epoll-sys/src/lib.rs"));
        run_captured(lib)?;

        let rust_exe = dir.join("abi_table");
        let mut table = self.rustc(&gcc);
        table.arg("--extern").arg(format!(
            "epoll_sys={}",
            dir.join("libepoll_sys.rlib").display()
        ));
        table.arg("-o").arg(&rust_exe);
        table.arg(root.join("epoll-sys/examples/abi_table.rs"));
        run_captured(table)?;

        Ok((self.run(&c_exe)?, self.run(&rust_exe)?))
    }

    /// Debian's rustc, set up for this target and its cross linker.
    fn rustc(&self, gcc: &str) -> Command {
        let mut cmd = Command::new(DEBIAN_RUSTC);
        cmd.args(["--edition", EDITION, "--target", self.triple]);
        cmd.arg("-C").arg(format!("linker={gcc}"));
        if self.static_only {
            cmd.args(["-C", "target-feature=+crt-static"]);
        }
        cmd
    }

    /// Runs `exe` under `qemu-ARCH`, with the target's glibc as its root.
    fn run(&self, exe: &Path) -> Outcome<String> {
        let mut cmd = Command::new(format!("qemu-{}", self.qemu));
        cmd.arg("-L").arg(self.sysroot()).arg(exe);
        run_captured(cmd)
    }
}

/// Whether `program` is an existing file in one of `$PATH`'s directories.
fn on_path(program: &str, probe: &dyn Fn(&Path) -> bool) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| probe(&dir.join(program))))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::{Cross, TARGETS};
    use std::path::Path;

    #[test]
    fn every_target_is_found_by_its_triple_and_nothing_else_is() {
        for t in TARGETS {
            assert_eq!(Cross::find(t.triple), Some(t));
        }
        assert_eq!(Cross::find("x86_64-unknown-linux-gnu"), None);
        assert_eq!(Cross::find("aarch64"), None);
    }

    #[test]
    fn a_machine_without_the_tools_names_every_package_and_the_apt_line() {
        let ppc = Cross::find("powerpc64le-unknown-linux-gnu").unwrap();
        let nothing = |_: &Path| false;
        assert_eq!(
            ppc.missing(&nothing).unwrap(),
            "skipped: install rustc gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross qemu-user \
             (as root: dpkg --add-architecture ppc64el && apt-get update && apt-get install rustc \
             libstd-rust-dev:ppc64el gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross qemu-user)"
        );
    }

    #[test]
    fn only_the_missing_standard_library_is_named_when_the_rest_is_there() {
        let arm = Cross::find("armv7-unknown-linux-gnueabihf").unwrap();
        let all_but_std =
            |p: &Path| !p.starts_with("/usr/lib/rustlib/armv7-unknown-linux-gnueabihf");
        let said = arm.missing(&all_but_std).unwrap();
        assert!(
            said.starts_with("skipped: install libstd-rust-dev:armhf (as root: "),
            "{said}"
        );
        assert_eq!(arm.missing(&|_: &Path| true), None);
    }
}
