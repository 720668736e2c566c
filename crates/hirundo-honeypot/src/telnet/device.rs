//! The device the telnet service pretends to be: a cheap IP camera built on a HiSilicon
//! Hi3518 (ARM926EJ-S, Linux 3.0.8, BusyBox v1.16.1 telnetd and ash), the kind of box that
//! Mirai and its descendants log into with factory passwords. Every text here is fixed: the
//! client can make the honeypot choose among them, never change them.
//!
//! Texts use bare `\n`; the session turns it into CR LF, as the camera's tty would.

/// The host name BusyBox `login` prints before its prompt: these cameras never set one.
pub const LOGIN_PROMPT: &[u8] = b"\n(none) login: ";

pub const PASSWORD_PROMPT: &[u8] = b"Password: ";

/// What ash prints when it starts interactively.
pub const SHELL_BANNER: &[u8] =
    b"\nBusyBox v1.16.1 (2013-07-15 10:17:12 CST) built-in shell (ash)\n\
Enter 'help' for a list of built-in commands.\n\n";

/// ash's prompt for root in the home directory.
pub const SHELL_PROMPT: &[u8] = b"~ # ";

pub const UNAME_ALL: &[u8] =
    b"Linux (none) 3.0.8 #1 Fri Jul 12 15:36:04 CST 2013 armv5tejl GNU/Linux\n";
pub const UNAME_MACHINE: &[u8] = b"armv5tejl\n";
pub const UNAME_RELEASE: &[u8] = b"3.0.8\n";
pub const UNAME: &[u8] = b"Linux\n";

pub const CPUINFO: &[u8] = b"Processor\t: ARM926EJ-S rev 5 (v5l)\n\
BogoMIPS\t: 218.72\n\
Features\t: swp half thumb fastmult edsp java \n\
CPU implementer\t: 0x41\n\
CPU architecture: 5TEJ\n\
CPU variant\t: 0x0\n\
CPU part\t: 0x926\n\
CPU revision\t: 5\n\
\n\
Hardware\t: hi3518\n\
Revision\t: 0000\n\
Serial\t\t: 0000000000000000\n";

pub const MOUNTS: &[u8] = b"rootfs / rootfs rw 0 0\n\
/dev/root / squashfs ro,relatime 0 0\n\
proc /proc proc rw,relatime 0 0\n\
sysfs /sys sysfs rw,relatime 0 0\n\
tmpfs /dev tmpfs rw,relatime 0 0\n\
tmpfs /var tmpfs rw,relatime,size=8192k 0 0\n\
devpts /dev/pts devpts rw,relatime,mode=600 0 0\n\
/dev/mtdblock3 /mnt/mtd jffs2 rw,relatime 0 0\n";

pub const VERSION: &[u8] =
    b"Linux version 3.0.8 (root@localhost) (gcc version 4.4.1 (Hisilicon_v100(gcc4.4-290+uclibc_0.9.32.1+eabi+linuxpthread)) ) #1 Fri Jul 12 15:36:04 CST 2013\n";

pub const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/sh\n";

pub const PS: &[u8] = b"  PID USER       VSZ STAT COMMAND\n\
    1 root      1500 S    init\n\
    2 root         0 SW   [kthreadd]\n\
    3 root         0 SW   [ksoftirqd/0]\n\
    5 root         0 SW   [events/0]\n\
  402 root      1504 S    telnetd\n\
  455 root     24920 S    /usr/bin/ipcam\n\
  610 root      1508 S    -sh\n\
  633 root      1504 R    ps\n";

pub const LS: &[u8] = b"bin      dev      etc      home     lib      linuxrc  mnt      proc     root     sbin     sys      tmp      usr      var\n";

pub const FREE: &[u8] = b"             total         used         free       shared      buffers\n\
Mem:         29012        25688         3324            0          216\n\
-/+ buffers:              25472         3540\n\
Swap:            0            0            0\n";

pub const ID: &[u8] = b"uid=0(root) gid=0(root)\n";

pub const BUSYBOX_USAGE: &[u8] = b"BusyBox v1.16.1 (2013-07-15 10:17:12 CST) multi-call binary.\n\
Copyright (C) 1998-2009 Erik Andersen, Rob Landley, Denys Vlasenko\n\
and others. Licensed under GPLv2.\n\
See source distribution for full notice.\n\
\n\
Usage: busybox [function] [arguments]...\n\
   or: function [arguments]...\n";

/// Applets this BusyBox has: `/bin/busybox NAME` of anything else is "applet not found",
/// which is how Mirai-style bots probe (`/bin/busybox ECCHI`). No wget or tftp: bots then
/// fall back to `echo -e` uploads, which the command log records.
pub const APPLETS: &[&str] = &[
    "ash", "cat", "cd", "chmod", "cp", "echo", "free", "grep", "id", "kill", "ls", "mkdir",
    "mount", "mv", "ps", "pwd", "rm", "sh", "sleep", "true", "uname", "whoami",
];
