//! Dropping root after the listeners are bound: the honeypot needs root only to bind ports
//! 23 and 1433 (or none at all if started with CAP_NET_BIND_SERVICE, e.g. systemd's
//! `AmbientCapabilities=CAP_NET_BIND_SERVICE` under an unprivileged `User=`), and must not
//! keep it while it talks to the Internet.
//!
//! Call [`drop_privileges`] after binding and before serving. glibc's `setgroups`, `setgid`
//! and `setuid` change every thread of the process (not just the caller), so it is sound
//! even with a runtime already started; calling it before starting one is simplest anyway.

use std::ffi::{c_char, CString};
use std::io;
use std::ptr;

/// Why privileges could not be dropped. Each names the user.
#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    #[error("cannot drop privileges to user {user:?}: no such user")]
    UnknownUser { user: String },
    #[error("cannot drop privileges to user {user:?}: the name contains a NUL byte")]
    InvalidName { user: String },
    #[error("cannot drop privileges to user {user:?}: looking the user up failed: {source}")]
    Lookup { user: String, source: io::Error },
    #[error("cannot drop privileges to user {user:?}: it has uid 0, which would keep root")]
    Root { user: String },
    #[error("cannot drop privileges to user {user:?}: {call} failed: {source}")]
    Call {
        user: String,
        call: &'static str,
        source: io::Error,
    },
    #[error("dropped privileges to user {user:?}, yet the process could become root again")]
    Regained { user: String },
}

/// A user's ids from the password database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
}

/// Whether the process runs with effective uid 0.
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Becomes `user` for good: supplementary groups cleared, then the user's primary group and
/// uid set (real, effective and saved), then checked that `setuid(0)` fails. Needs root.
pub fn drop_privileges(user: &str) -> Result<(), PrivilegeError> {
    let account = lookup(user)?;
    if account.uid == 0 {
        return Err(PrivilegeError::Root {
            user: user.to_owned(),
        });
    }
    // Groups before the uid: once the uid is not 0 they can no longer be changed.
    // SAFETY: a zero-length list with a null pointer is how setgroups clears the groups.
    check(user, "setgroups", unsafe {
        libc::setgroups(0, ptr::null())
    })?;
    // SAFETY: plain system calls on integers.
    check(user, "setgid", unsafe { libc::setgid(account.gid) })?;
    check(user, "setuid", unsafe { libc::setuid(account.uid) })?;
    // SAFETY: as above; the call is expected to fail.
    if unsafe { libc::setuid(0) } == 0 {
        return Err(PrivilegeError::Regained {
            user: user.to_owned(),
        });
    }
    tracing::info!(
        user,
        uid = account.uid,
        gid = account.gid,
        "dropped privileges"
    );
    Ok(())
}

/// Looks `user` up with getpwnam_r (reentrant: the runtime may have threads already).
pub fn lookup(user: &str) -> Result<Account, PrivilegeError> {
    let name = CString::new(user).map_err(|_| PrivilegeError::InvalidName {
        user: user.to_owned(),
    })?;
    let mut buf: Vec<c_char> = vec![0; 1024];
    loop {
        // SAFETY: passwd is plain data; an all-zero value is valid (null pointers, zero ids).
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = ptr::null_mut();
        // SAFETY: every pointer is valid for the call, and buf.len() is buf's true size.
        let rc = unsafe {
            libc::getpwnam_r(
                name.as_ptr(),
                &mut entry,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        match rc {
            0 if result.is_null() => {
                return Err(PrivilegeError::UnknownUser {
                    user: user.to_owned(),
                })
            }
            0 => {
                return Ok(Account {
                    uid: entry.pw_uid,
                    gid: entry.pw_gid,
                })
            }
            // The entry does not fit: try a bigger buffer, up to a sane size.
            libc::ERANGE if buf.len() < 1 << 20 => buf.resize(buf.len() * 2, 0),
            // What some C libraries return for "no such user" (getpwnam_r(3)).
            libc::ENOENT | libc::ESRCH => {
                return Err(PrivilegeError::UnknownUser {
                    user: user.to_owned(),
                })
            }
            errno => {
                let source = io::Error::from_raw_os_error(errno);
                return Err(PrivilegeError::Lookup {
                    user: user.to_owned(),
                    source,
                });
            }
        }
    }
}

fn check(user: &str, call: &'static str, rc: libc::c_int) -> Result<(), PrivilegeError> {
    if rc == 0 {
        return Ok(());
    }
    let source = io::Error::last_os_error();
    Err(PrivilegeError::Call {
        user: user.to_owned(),
        call,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Set in the child process that does the real drop.
    const CHILD: &str = "HIRUNDO_PRIVILEGES_TEST_CHILD";
    const THIS_TEST: &str = "privileges::tests::drops_to_nobody_in_a_child_process";

    #[test]
    fn unknown_user() {
        let error = drop_privileges("hirundo-no-such-user").unwrap_err();
        assert!(
            matches!(error, PrivilegeError::UnknownUser { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("hirundo-no-such-user"));
    }

    #[test]
    fn invalid_name() {
        let error = drop_privileges("no\0body").unwrap_err();
        assert!(
            matches!(error, PrivilegeError::InvalidName { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn root_is_refused_before_anything_changes() {
        let error = drop_privileges("root").unwrap_err();
        assert!(matches!(error, PrivilegeError::Root { .. }), "{error:?}");
    }

    /// The real drop changes the whole process, so it runs in a child: this test binary
    /// again, running only this test, with CHILD set. Skipped unless root (and `nobody`).
    #[test]
    fn drops_to_nobody_in_a_child_process() {
        if std::env::var_os(CHILD).is_some() {
            return drop_in_child();
        }
        if !running_as_root() || lookup("nobody").is_err() {
            eprintln!("skipped: needs root and a user named nobody");
            return;
        }
        let exe = std::env::current_exe().expect("test binary path");
        let output = Command::new(exe)
            .args(["--exact", THIS_TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .expect("run the child");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
        let nobody = lookup("nobody").unwrap();
        assert!(
            stdout.contains(&format!("dropped to uid {} gid {}", nobody.uid, nobody.gid)),
            "{stdout}"
        );
    }

    fn drop_in_child() {
        let nobody = lookup("nobody").unwrap();
        drop_privileges("nobody").unwrap();
        // SAFETY: plain getters; getgroups with size 0 only counts.
        let (uid, euid, gid, egid, groups) = unsafe {
            (
                libc::getuid(),
                libc::geteuid(),
                libc::getgid(),
                libc::getegid(),
                libc::getgroups(0, ptr::null_mut()),
            )
        };
        assert_eq!(
            (uid, euid, gid, egid, groups),
            (nobody.uid, nobody.uid, nobody.gid, nobody.gid, 0)
        );
        // SAFETY: as above; must fail.
        assert_ne!(unsafe { libc::setuid(0) }, 0);
        assert!(!running_as_root());
        println!("dropped to uid {} gid {}", nobody.uid, nobody.gid);
    }
}
