//! The process table and the scheduler: a fixed table of [`MAX_PROCS`]
//! processes, round-robin preemptive scheduling driven by the timer tick,
//! blocking (sleep, wait, console input) without busy-waiting, and the idle
//! loop (`wfi`) when nothing can run.
//!
//! Single core, and kernel code runs with IRQs masked, so the table lock is
//! never contended: it is taken with `try_lock` and a failure is a kernel bug.
//! The lock is always released before switching contexts.

use super::initrd;
use super::loader;
use super::process::{Block, KernelStack, Name, Pid, Process, ProcessRef, State};
use crate::arch::context::{self, Context, FpState};
use crate::arch::cpu::{self, IrqGuard};
use crate::arch::mmu;
use crate::arch::timer;
use crate::arch::trap::TrapFrame;
use crate::ipc::{HandleTable, HandleValue, Object, Rights};
use abi::process::state as pstate;
use abi::{Error, ExitStatus, ProcessInfo};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use klib::account::{Account, Amounts, Resource, ALL as ALL_RESOURCES};
use spin::{Mutex, MutexGuard};

/// Size of the process table (the most processes alive at once, zombies
/// included). The root account holds exactly this many process slots.
pub const MAX_PROCS: usize = 64;
/// Default quota of children running at once.
pub const DEFAULT_CHILDREN_QUOTA: usize = 16;
/// Largest program file `spawn` loads from the disk (it is read into the
/// kernel heap; larger files get `QuotaExceeded`).
pub const MAX_PROGRAM_BYTES: usize = 4 << 20;
/// Most handles `spawn` passes to a child.
pub const MAX_SPAWN_HANDLES: usize = 8;

struct Table {
    slots: [Option<Box<Process>>; MAX_PROCS],
    /// Slot of the running process; `None` while the idle loop runs.
    current: Option<usize>,
    next_pid: Pid,
    /// The boot context, which becomes the idle loop.
    idle: Context,
    /// How the last process started by the kernel (parent 0) ended.
    last_kernel_child: Option<(Pid, ExitStatus)>,
    /// One past the highest slot ever used: scans stop here.
    hi: usize,
    /// Some slot may hold a zombie (`reap_zombies` has work to do).
    zombies: bool,
    /// A process a direct IPC handoff just woke: the running process
    /// switches to it if it blocks in IPC next (see [`block_ipc`]).
    handoff: Option<usize>,
    /// The slot of the process whose FP/SIMD state is in the registers
    /// (switched lazily: see [`fp_trap`]).
    fp_owner: Option<usize>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    slots: [const { None }; MAX_PROCS],
    current: None,
    next_pid: 1,
    idle: Context::zeroed(),
    last_kernel_child: None,
    hi: 0,
    zombies: false,
    handoff: None,
    fp_owner: None,
});

static NEED_RESCHED: AtomicBool = AtomicBool::new(false);

/// Set when a process is marked killed; cleared once no live process is.
/// Lets the return-to-user path skip the table lock when nobody is killed.
static KILL_PENDING: AtomicBool = AtomicBool::new(false);

fn table() -> MutexGuard<'static, Table> {
    TABLE.try_lock().expect("process table lock re-entered")
}

impl Table {
    fn slot_of(&self, pid: Pid) -> Option<usize> {
        self.slots[..self.hi]
            .iter()
            .position(|s| s.as_ref().is_some_and(|p| p.pid == pid))
    }

    #[inline]
    fn proc(&mut self, slot: usize) -> &mut Process {
        self.slots[slot].as_mut().expect("slot in use")
    }

    fn current_pid(&self) -> Pid {
        self.current
            .and_then(|i| self.slots[i].as_ref())
            .map_or(0, |p| p.pid)
    }

    /// The next runnable slot after the current one, round robin.
    fn pick(&self) -> Option<usize> {
        let n = self.hi;
        let start = self.current.map_or(0, |i| i + 1);
        (0..n)
            .map(|k| {
                if start + k >= n {
                    start + k - n
                } else {
                    start + k
                }
            })
            .find(|&i| {
                self.slots[i]
                    .as_ref()
                    .is_some_and(|p| p.state == State::Runnable)
            })
    }

    /// Free the records of ended processes (not the running one: it may
    /// still be on its kernel stack). Their status lives on in their
    /// [`ProcessRef`] for whoever holds a handle.
    fn reap_zombies(&mut self) {
        if !self.zombies {
            return;
        }
        let mut left = false;
        for i in 0..self.hi {
            if matches!(&self.slots[i], Some(p) if matches!(p.state, State::Zombie(_))) {
                if Some(i) == self.current {
                    left = true;
                } else {
                    self.slots[i] = None;
                }
            }
        }
        self.zombies = left;
    }

    /// The slot of the live (not yet reaped) process `this` names.
    fn slot_of_ref(&self, this: &Arc<ProcessRef>) -> Option<usize> {
        self.slot_of(this.pid).filter(|&s| {
            self.slots[s]
                .as_ref()
                .is_some_and(|p| Arc::ptr_eq(&p.this, this))
        })
    }

    /// Make `pid`'s children orphans.
    fn orphan_children_of(&mut self, pid: Pid) {
        for p in self.slots[..self.hi].iter_mut().flatten() {
            if p.parent == pid {
                p.parent = 0;
            }
        }
    }

    /// Make the process in `slot` end itself: it is woken if blocked and
    /// exits (status `Killed`) as soon as it heads back to user mode.
    fn mark_killed(&mut self, slot: usize) {
        let p = self.proc(slot);
        if matches!(p.state, State::Zombie(_)) {
            return;
        }
        p.killed = true;
        KILL_PENDING.store(true, Ordering::Relaxed);
        if matches!(p.state, State::Blocked(_)) {
            p.state = State::Runnable;
        }
    }

    /// End the process in `slot`: free its memory now, record the status,
    /// wake every process waiting for it. Returns its handles' objects, which the
    /// caller must drop *after* releasing the table lock (closing an
    /// endpoint wakes its peer's waiters, which takes the lock). The caller
    /// switches TTBR0 away first if it is the running process.
    #[must_use]
    fn terminate(&mut self, slot: usize, status: ExitStatus) -> Vec<crate::ipc::Object> {
        let p = self.proc(slot);
        let (pid, parent) = (p.pid, p.parent);
        p.aspace = None;
        p.state = State::Zombie(status);
        p.this.set_status(status);
        let mut objects = Vec::new();
        p.handles.drain(|o| objects.push(o));
        self.zombies = true;
        if self.fp_owner == Some(slot) {
            self.fp_owner = None;
        }
        self.orphan_children_of(pid);
        if parent == 0 {
            self.last_kernel_child = Some((pid, status));
        } else if let Some(ps) = self.slot_of(parent) {
            self.proc(ps).children -= 1;
        }
        for p in self.slots[..self.hi].iter_mut().flatten() {
            if p.state == State::Blocked(Block::Exit(pid)) {
                p.state = State::Runnable;
            }
        }
        objects
    }
}

/// Switch to the next runnable process (or the idle loop), consuming the
/// table guard. Returns when the caller's context runs again.
fn schedule(t: MutexGuard<'static, Table>) {
    schedule_preferring(t, None);
}

/// [`schedule`], switching to `prefer` if it is runnable (a direct
/// handoff's receiver) instead of the next one round robin.
fn schedule_preferring(mut t: MutexGuard<'static, Table>, prefer: Option<usize>) {
    t.reap_zombies();
    t.handoff = None;
    let prev = t.current;
    if let Some(i) = prev {
        let p = t.proc(i);
        if p.state == State::Running {
            p.state = State::Runnable;
        }
    }
    let runnable = |t: &Table, i: usize| {
        t.slots[i]
            .as_ref()
            .is_some_and(|p| p.state == State::Runnable)
    };
    let next = match prefer {
        Some(i) if runnable(&t, i) => Some(i),
        _ => t.pick(),
    };
    if next == prev {
        if let Some(i) = next {
            t.proc(i).state = State::Running;
        }
        return;
    }
    let from: *mut Context = match prev {
        Some(i) => &mut t.proc(i).context,
        None => &mut t.idle,
    };
    // FP/SIMD state stays in the registers: EL0 may use them only if they
    // hold the next process's (otherwise its first use traps: `fp_trap`).
    context::set_user_fp(next.is_some() && next == t.fp_owner);
    let (to, ttbr0): (*const Context, u64) = match next {
        Some(i) => {
            let p = t.proc(i);
            p.state = State::Running;
            let ttbr0 = p.aspace.as_ref().map_or(mmu::empty_ttbr0(), |a| a.ttbr0());
            (&p.context, ttbr0)
        }
        None => (&t.idle, mmu::empty_ttbr0()),
    };
    t.current = next;
    drop(t);
    mmu::set_ttbr0(ttbr0);
    // SAFETY: both contexts live in the table (boxed processes or the idle
    // context) and are not freed while suspended: a process record is only
    // freed once it is a zombie that is not running.
    unsafe { context::switch(from, to) };
}

/// What to start: a program (`/bin/<name>`, a path, or a boot-archive
/// name before the disk is mounted), its argv, handles to move from the
/// parent's table (values), and limits to lend it.
pub struct SpawnSpec<'a> {
    pub name: &'a str,
    pub args: &'a [&'a [u8]],
    pub handles: &'a [u32],
    /// Handles (values in the parent's table) to become the child's stdin
    /// and stdout; 0 = the console.
    pub stdio: [u32; 2],
    /// `None`: the defaults (or, for a process the kernel starts,
    /// everything the root account has).
    pub limits: Option<Amounts>,
}

/// A started process: what handles to it name, and the handle the parent
/// got (0 when the parent is the kernel, which keeps `process` instead).
pub struct Spawned {
    pub process: Arc<ProcessRef>,
    pub handle: HandleValue,
}

/// Start a process as a child of `parent` (0 = the kernel). Either it
/// starts, with the handles moved into its table and a handle to it in the
/// parent's, or nothing changes.
pub fn spawn(parent: Pid, spec: &SpawnSpec) -> Result<Spawned, Error> {
    if spec.handles.len() > MAX_SPAWN_HANDLES {
        return Err(Error::InvalidArgument);
    }
    let parent_account = {
        let mut t = table();
        let account = if parent == 0 {
            crate::ipc::root().clone()
        } else {
            let ps = t.slot_of(parent).ok_or(Error::NotFound)?;
            let p = t.proc(ps);
            if p.children >= p.children_quota {
                return Err(Error::QuotaExceeded);
            }
            let mut all = [0u32; MAX_SPAWN_HANDLES + 2];
            let n = spec.handles.len();
            all[..n].copy_from_slice(spec.handles);
            let mut m = n;
            for h in spec.stdio.into_iter().filter(|&h| h != 0) {
                all[m] = h;
                m += 1;
            }
            check_transferable(&p.handles, &all[..m])?;
            // Room for the handle to the child once the moved ones are out.
            if p.handles.free() + m == 0 {
                return Err(Error::QuotaExceeded);
            }
            p.account.clone()
        };
        t.reap_zombies();
        account
    };
    let limits = match spec.limits {
        Some(l) => l,
        None if parent == 0 => ALL_RESOURCES.map(|r| parent_account.available(r)),
        None => abi::process::DEFAULT_CHILD_LIMITS.map(|v| v as usize),
    };
    let cwd = if parent == 0 {
        alloc::string::String::from("/")
    } else {
        let t = table();
        t.slot_of(parent)
            .and_then(|s| t.slots[s].as_ref())
            .map_or_else(|| "/".into(), |p| p.cwd.clone())
    };
    // Programs come from /bin on the root file system once one is mounted,
    // from the boot archive before that.
    let from_disk;
    let file: &[u8] = if crate::fs::has_root() {
        let path = if spec.name.contains('/') {
            crate::fs::absolute(&cwd, spec.name)?
        } else {
            alloc::format!("/bin/{}", spec.name)
        };
        from_disk = crate::fs::read_all(&path, MAX_PROGRAM_BYTES)?;
        &from_disk
    } else {
        initrd::find(spec.name)
            .map_err(|_| Error::IoError)?
            .ok_or(Error::NotFound)?
    };
    let account = parent_account
        .open_child(limits)
        .map_err(|_| Error::QuotaExceeded)?;
    // From here on, dropping `account` unused would leak its budget: close
    // it on every error path.
    let made = (|| {
        account
            .charge(Resource::Processes, 1)
            .map_err(|_| Error::QuotaExceeded)?;
        let parts = (|| {
            let mut start_handles = [0u32; MAX_SPAWN_HANDLES];
            // The child's table is fresh: its first handles are predictable.
            HandleTable::new()
                .peek_next(spec.handles.len(), &mut start_handles)
                .map_err(|_| Error::InvalidArgument)?;
            let image = loader::load(
                file,
                spec.args,
                &start_handles[..spec.handles.len()],
                &account,
            )?;
            let kstack = KernelStack::new(&account)?;
            Ok((image, kstack))
        })();
        if parts.is_err() {
            account.release(Resource::Processes, 1);
        }
        parts
    })();
    let (image, kstack) = match made {
        Ok(parts) => parts,
        Err(e) => {
            account.close();
            return Err(e);
        }
    };

    let mut t = table();
    let Some(slot) = t.slots.iter().position(|s| s.is_none()) else {
        // Cannot happen while the root account's process slots equal the
        // table size; handled anyway.
        drop(t);
        drop((image, kstack));
        account.release(Resource::Processes, 1);
        account.close();
        return Err(Error::OutOfMemory);
    };
    let pid = t.next_pid;
    t.next_pid = t.next_pid.wrapping_add(1).max(1);
    let this = Arc::new(ProcessRef::new(pid));
    let mut p = Box::new(Process {
        pid,
        name: Name::new(spec.name),
        parent,
        state: State::Runnable,
        aspace: Some(image.aspace),
        kstack,
        context: Context::default(),
        fp: FpState::default(),
        children: 0,
        children_quota: DEFAULT_CHILDREN_QUOTA,
        killed: false,
        cwd,
        account,
        handles: HandleTable::new(),
        this: this.clone(),
    });
    // Move the handles: validated above, and nothing ran in between.
    let mut stdio_values = [0u32; 2];
    let mut handle = 0;
    if parent != 0 {
        let ps = t.slot_of(parent).expect("parent is running");
        let mut move_one = |h: u32, t: &mut Table| -> u32 {
            let (object, rights) = t.proc(ps).handles.remove(h).expect("validated handle");
            match p.handles.insert(object, rights) {
                Ok(v) => v,
                Err(_) => unreachable!("a fresh table has room for the start-up handles"),
            }
        };
        for &h in spec.handles {
            move_one(h, &mut t);
        }
        for (i, &h) in spec.stdio.iter().enumerate() {
            if h != 0 {
                stdio_values[i] = move_one(h, &mut t);
            }
        }
        let par = t.proc(ps);
        par.children += 1;
        handle = match par
            .handles
            .insert(Object::Process(this.clone()), Rights::PROCESS)
        {
            Ok(v) => v,
            Err(_) => unreachable!("room for the child's handle was checked before loading"),
        };
    }
    let frame = p.user_frame();
    let mut regs = TrapFrame {
        x: [0; 31],
        sp_el0: image.sp as u64,
        elr: image.entry as u64,
        spsr: 0,
    };
    regs.x[0] = image.argc as u64;
    regs.x[1] = image.argv as u64;
    regs.x[2] = spec.handles.len() as u64;
    regs.x[3] = image.handles as u64;
    regs.x[4] = stdio_values[0] as u64;
    regs.x[5] = stdio_values[1] as u64;
    // SAFETY: `frame` is the top of the new, unused kernel stack.
    unsafe { frame.write(regs) };
    p.context = Context::new_user(frame);
    t.slots[slot] = Some(p);
    t.hi = t.hi.max(slot + 1);
    Ok(Spawned {
        process: this,
        handle,
    })
}

/// Every value in `handles` names a distinct handle with the TRANSFER right.
fn check_transferable(table: &HandleTable, handles: &[u32]) -> Result<(), Error> {
    for (i, &h) in handles.iter().enumerate() {
        let (_, rights) = table.get(h).map_err(|_| Error::InvalidHandle)?;
        if !rights.contains(Rights::TRANSFER) {
            return Err(Error::AccessDenied);
        }
        if handles[..i].contains(&h) {
            return Err(Error::InvalidArgument);
        }
    }
    Ok(())
}

/// The running process's pid (0 in the kernel's own context).
pub fn current_pid() -> Pid {
    table().current_pid()
}

/// End the running process with `status`. Everything it owns is freed
/// before this returns control to anyone else.
pub fn exit_current(status: ExitStatus) -> ! {
    let mut t = table();
    let slot = t.current.expect("exit outside a process");
    mmu::set_ttbr0(mmu::empty_ttbr0());
    let objects = t.terminate(slot, status);
    drop(t);
    drop(objects);
    schedule(table());
    unreachable!("a zombie was scheduled");
}

/// How the process `this` names ended, sleeping until it does unless
/// `nohang`. Its record is freed, and its account settled with its
/// parent's, before this returns the status.
pub fn wait(this: &Arc<ProcessRef>, nohang: bool) -> Result<ExitStatus, Error> {
    loop {
        let mut t = table();
        let me = t.current.ok_or(Error::InvalidArgument)?;
        if t.proc(me).killed {
            return Err(Error::TimedOut);
        }
        if let Some(status) = this.status() {
            // The ended process is not the running one: its record goes now.
            t.reap_zombies();
            return Ok(status);
        }
        // Waiting for yourself would never end.
        if t.proc(me).pid == this.pid {
            return Err(Error::InvalidArgument);
        }
        if nohang {
            return Err(Error::WouldBlock);
        }
        t.proc(me).state = State::Blocked(Block::Exit(this.pid));
        schedule(t);
    }
}

/// End the process `this` names (the caller has checked the handle's
/// rights). Killing a process that has already ended does nothing.
pub fn kill(this: &Arc<ProcessRef>) {
    let mut t = table();
    let Some(target) = t.slot_of_ref(this) else {
        return;
    };
    if Some(target) == t.current {
        drop(t);
        exit_current(ExitStatus::Killed);
    }
    t.mark_killed(target);
}

/// What a new handle to `pid` names: a descendant of the running process,
/// or (0) the running process itself. Anything else is `AccessDenied`.
pub fn open_process(pid: Pid) -> Result<Arc<ProcessRef>, Error> {
    if pid != 0 && !is_descendant(pid)? {
        return Err(Error::AccessDenied);
    }
    let t = table();
    let slot = match pid {
        0 => t.current.ok_or(Error::InvalidArgument)?,
        pid => t.slot_of(pid).ok_or(Error::NotFound)?,
    };
    let p = t.slots[slot].as_ref().ok_or(Error::NotFound)?;
    Ok(p.this.clone())
}

/// Whether the running process has been killed: blocking calls return
/// early (with any error) when this is set, so their stacks unwind.
pub fn interrupted() -> bool {
    if !KILL_PENDING.load(Ordering::Relaxed) {
        return false;
    }
    let mut t = table();
    let me = t.current.is_some_and(|i| t.proc(i).killed);
    if !me {
        let any = t.slots[..t.hi]
            .iter()
            .flatten()
            .any(|p| p.killed && !matches!(p.state, State::Zombie(_)));
        if !any {
            KILL_PENDING.store(false, Ordering::Relaxed);
        }
    }
    me
}

/// On the way back to user mode: end the running process if it was killed.
pub fn exit_if_killed() {
    if interrupted() {
        exit_current(ExitStatus::Killed);
    }
}

/// Kill `pid` on behalf of the kernel (console Ctrl-C), no ancestry check.
pub fn kill_by_kernel(pid: Pid) {
    let mut t = table();
    if let Some(slot) = t.slot_of(pid) {
        t.mark_killed(slot);
    }
}

/// The running process used FP/SIMD while the registers held another
/// process's state (or none): save that state with its owner, load the
/// running process's, and let it use them until it is switched away.
pub fn fp_trap() {
    let mut t = table();
    let Some(me) = t.current else { return };
    if t.fp_owner != Some(me) {
        if let Some(owner) = t.fp_owner {
            // The owner is alive: `terminate` gives up ownership.
            t.proc(owner).fp.save();
        }
        t.proc(me).fp.restore();
        t.fp_owner = Some(me);
    }
    context::set_user_fp(true);
}

/// Whether anything must happen before returning to user mode (a kill or
/// a reschedule is pending): the fast check for the return path.
#[inline]
pub fn work_pending() -> bool {
    KILL_PENDING.load(Ordering::Relaxed) || NEED_RESCHED.load(Ordering::Relaxed)
}

/// Give up the CPU to another runnable process, if any.
pub fn yield_now() {
    let t = table();
    if t.current.is_some() {
        schedule(t);
    }
}

/// Sleep for at least `ns` nanoseconds.
pub fn sleep(ns: u64) {
    let until = timer::counter().saturating_add(timer::ns_to_ticks(ns));
    let mut t = table();
    let Some(me) = t.current else { return };
    if ns == 0 {
        schedule(t);
        return;
    }
    // A killed process does not go to sleep: it is on its way out.
    if t.proc(me).killed {
        return;
    }
    t.proc(me).state = State::Blocked(Block::Sleep { until });
    schedule(t);
}

/// Sleep until console input arrives (the caller re-checks).
pub fn wait_for_console() {
    let mut t = table();
    let Some(me) = t.current else { return };
    // A killed process does not go to sleep: it is on its way out.
    if t.proc(me).killed {
        return;
    }
    t.proc(me).state = State::Blocked(Block::Console);
    schedule(t);
}

/// Timer interrupt: wake sleepers whose time has come; ask for a
/// reschedule at the end of the time slice.
pub fn on_tick() {
    let Some(mut t) = TABLE.try_lock() else {
        return;
    };
    let now = timer::counter();
    for p in t.slots.iter_mut().flatten() {
        match p.state {
            State::Blocked(Block::Sleep { until })
            | State::Blocked(Block::Ipc { until: Some(until) })
                if until <= now =>
            {
                p.state = State::Runnable;
            }
            _ => {}
        }
    }
    if t.current.is_some() {
        NEED_RESCHED.store(true, Ordering::Relaxed);
    }
}

/// Console input arrived: wake every reader.
pub fn on_console_input() {
    let Some(mut t) = TABLE.try_lock() else {
        return;
    };
    for p in t.slots.iter_mut().flatten() {
        if p.state == State::Blocked(Block::Console) {
            p.state = State::Runnable;
        }
    }
}

/// Called on the way back to user mode: switch if the time slice is over.
pub fn preempt_if_needed() {
    if NEED_RESCHED.swap(false, Ordering::Relaxed) {
        yield_now();
    }
}

/// Run processes, idling with `wfi` when none can run, until `done()`.
/// Called from the kernel's own (boot) context.
pub fn run_until(mut done: impl FnMut() -> bool) {
    loop {
        let irq = IrqGuard::new();
        // Processes that ended go now, so `done` sees an up-to-date table.
        table().reap_zombies();
        if done() {
            return;
        }
        let t = table();
        if t.pick().is_some() {
            schedule(t);
        } else {
            drop(t);
            // `wfi` wakes on a pending interrupt even while masked; the
            // interrupt is taken when `irq` unmasks below.
            cpu::wait_for_interrupt();
        }
        drop(irq);
    }
}

/// Processes in the table, zombies included.
pub fn count() -> usize {
    table().slots.iter().flatten().count()
}

/// How the last process started by the kernel ended, if it has.
pub fn last_kernel_child() -> Option<(Pid, ExitStatus)> {
    table().last_kernel_child
}

/// Identity and quota usage of `pid` (0 = the caller).
pub fn info(pid: Pid) -> Result<ProcessInfo, Error> {
    let mut t = table();
    let pid = if pid == 0 { t.current_pid() } else { pid };
    let slot = t.slot_of(pid).ok_or(Error::NotFound)?;
    let p = t.proc(slot);
    let (name, name_len) = p.name.raw();
    let used = ALL_RESOURCES.map(|r| p.account.used(r) as u64);
    let limits = ALL_RESOURCES.map(|r| p.account.limit(r) as u64);
    Ok(ProcessInfo {
        pid: p.pid,
        parent: p.parent,
        state: match p.state {
            State::Runnable => pstate::RUNNABLE,
            State::Running => pstate::RUNNING,
            State::Blocked(_) => pstate::BLOCKED,
            State::Zombie(_) => pstate::ZOMBIE,
        },
        name_len: name_len as u32,
        name,
        pages_used: used[Resource::Pages as usize],
        pages_quota: limits[Resource::Pages as usize],
        children_used: p.children as u64,
        children_quota: p.children_quota as u64,
        used,
        limits,
        handles_used: p.handles.len() as u64,
        handles_quota: p.handles.capacity() as u64,
    })
}

/// The running process's name ("kernel" in the kernel's own context).
pub fn current_name() -> Name {
    let t = table();
    t.current
        .and_then(|i| t.slots[i].as_ref())
        .map_or(Name::new("kernel"), |p| p.name)
}

/// Run `f` on the running process's address space.
pub fn with_current_aspace<R>(
    f: impl FnOnce(&mut crate::mm::addrspace::AddressSpace) -> Result<R, Error>,
) -> Result<R, Error> {
    let mut t = table();
    let slot = t.current.ok_or(Error::InvalidArgument)?;
    let aspace = t.proc(slot).aspace.as_mut().ok_or(Error::InvalidArgument)?;
    f(aspace)
}

/// Run `f` on the running process's handle table and account. `f` must
/// not drop kernel objects (see [`Table::terminate`]): return them instead.
pub fn with_current<R>(f: impl FnOnce(&mut HandleTable, &Arc<Account>) -> R) -> Result<R, Error> {
    let mut t = table();
    let slot = t.current.ok_or(Error::InvalidArgument)?;
    let p = t.proc(slot);
    Ok(f(&mut p.handles, &p.account))
}

/// The running process during one IPC system call, under one table lock:
/// see [`with_ipc`].
pub struct Current<'a> {
    table: &'a mut Table,
    slot: usize,
    /// Block in an IPC wait (until the counter reaches this, if any) once
    /// `f` returns: see [`block_after`](Current::block_after).
    block: Option<Option<u64>>,
}

/// The processes other than the running one, while the table is locked
/// for it (running, it is never itself blocked): wakes processes blocked
/// in IPC, and lends one to a direct handoff ([`Waker::receiver`]).
pub struct Waker<'a> {
    /// Slots below and above the running process's.
    before: &'a mut [Option<Box<Process>>],
    after: &'a mut [Option<Box<Process>>],
    handoff: &'a mut Option<usize>,
}

impl Current<'_> {
    /// The running process's pid.
    pub fn pid(&self) -> Pid {
        self.table.slots[self.slot].as_ref().map_or(0, |p| p.pid)
    }

    /// The running process's slot in the table (a hint for
    /// [`Waker::receiver`]).
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// The running process's handle table and account, and a [`Waker`]
    /// for every other process, borrowed at once.
    pub fn parts(&mut self) -> (&mut HandleTable, &Arc<Account>, Waker<'_>) {
        let hi = self.table.hi;
        let (before, rest) = self.table.slots[..hi].split_at_mut(self.slot);
        let (me, after) = rest.split_first_mut().expect("current slot in range");
        let p = me.as_mut().expect("current slot in use");
        (
            &mut p.handles,
            &p.account,
            Waker {
                before,
                after,
                handoff: &mut self.table.handoff,
            },
        )
    }

    /// Once the [`with_ipc`] closure returns, sleep as [`block_ipc`] does
    /// (without releasing the table lock in between, so no wake-up can be
    /// missed), unless the process has been killed: the caller checks
    /// [`interrupted`] afterwards.
    pub fn block_after(&mut self, until: Option<u64>) {
        self.block = Some(until);
    }
}

/// A process blocked in an IPC wait, lent to a direct handoff while the
/// table is locked for the running process (see [`Waker::receiver`]).
pub struct Receiver<'a> {
    p: &'a mut Process,
    slot: usize,
    handoff: &'a mut Option<usize>,
}

impl Receiver<'_> {
    /// Its address space's TTBR0 value.
    pub fn ttbr0(&self) -> u64 {
        self.p
            .aspace
            .as_ref()
            .map_or(mmu::empty_ttbr0(), |a| a.ttbr0())
    }

    /// Its handle table.
    pub fn handles(&mut self) -> &mut HandleTable {
        &mut self.p.handles
    }

    /// Wake it once the handoff is done, and have the running process
    /// switch straight to it if it blocks in IPC next.
    pub fn wake(self) {
        self.p.state = State::Runnable;
        *self.handoff = Some(self.slot);
    }
}

impl Waker<'_> {
    /// The process `pid` in table slot `slot`, if it is blocked in an IPC
    /// wait (so not killed, not the running process, and its address
    /// space is intact).
    pub fn receiver(&mut self, slot: usize, pid: Pid) -> Option<Receiver<'_>> {
        let n = self.before.len();
        let p = if slot < n {
            self.before[slot].as_deref_mut()?
        } else {
            self.after
                .get_mut(slot.checked_sub(n + 1)?)?
                .as_deref_mut()?
        };
        let blocked = matches!(p.state, State::Blocked(Block::Ipc { .. }));
        if p.pid != pid || !blocked || p.aspace.is_none() {
            return None;
        }
        Some(Receiver {
            p,
            slot,
            handoff: self.handoff,
        })
    }

    /// Wake `pid` if it sleeps in an IPC wait.
    pub fn wake_ipc(&mut self, pid: Pid) {
        let others = self.before.iter_mut().chain(self.after.iter_mut());
        for p in others.flatten() {
            if p.pid == pid {
                if matches!(p.state, State::Blocked(Block::Ipc { .. })) {
                    p.state = State::Runnable;
                }
                return;
            }
        }
    }
}

/// Run `f` on the running process with the table locked once: the IPC
/// calls look up, validate, move handles and wake receivers in one go.
/// Like [`with_current`], `f` must not drop kernel objects.
pub fn with_ipc<R>(f: impl FnOnce(&mut Current) -> R) -> Result<R, Error> {
    let mut t = table();
    let slot = t.current.ok_or(Error::InvalidArgument)?;
    let mut cur = Current {
        table: &mut t,
        slot,
        block: None,
    };
    let r = f(&mut cur);
    if let Some(until) = cur.block {
        let p = t.proc(slot);
        if !p.killed {
            p.state = State::Blocked(Block::Ipc { until });
            let prefer = t.handoff.take();
            schedule_preferring(t, prefer);
        }
    }
    Ok(r)
}

/// The table, locked for the running process by the IPC fast paths
/// (`syscall::channel`: a plain send to a parked receiver, a receive that
/// parks): straight-line accessors instead of [`with_ipc`]'s closure and
/// borrow splitting. Like [`with_current`], nothing may drop a kernel
/// object while it is held.
pub struct IpcFast {
    t: MutexGuard<'static, Table>,
    slot: usize,
}

impl IpcFast {
    /// Lock the table (`None` outside a process).
    #[inline(always)]
    pub fn lock() -> Option<Self> {
        let t = table();
        let slot = t.current?;
        Some(IpcFast { t, slot })
    }

    #[inline(always)]
    fn me(&self) -> &Process {
        self.t.slots[self.slot]
            .as_deref()
            .expect("current slot in use")
    }

    /// The running process's pid.
    #[inline(always)]
    pub fn pid(&self) -> Pid {
        self.me().pid
    }

    /// The running process's slot (the hint a [`Parked`](klib::ipc::Parked)
    /// leaves for [`receiver_ttbr0`](Self::receiver_ttbr0)).
    #[inline(always)]
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// The running process's handle table.
    #[inline(always)]
    pub fn handles(&self) -> &HandleTable {
        &self.me().handles
    }

    /// The TTBR0 value of process `pid` in table slot `slot`, if it is
    /// blocked in an IPC wait (so it is not the running process, not
    /// killed, and its address space is intact).
    #[inline(always)]
    pub fn receiver_ttbr0(&self, slot: usize, pid: Pid) -> Option<u64> {
        let p = self.t.slots.get(slot)?.as_deref()?;
        if p.pid != pid || !matches!(p.state, State::Blocked(Block::Ipc { .. })) {
            return None;
        }
        p.aspace.as_ref().map(|a| a.ttbr0())
    }

    /// Wake the process in `slot` (a receiver just served by a direct
    /// handoff: checked by [`receiver_ttbr0`](Self::receiver_ttbr0)), and
    /// have the running process switch straight to it if it blocks in
    /// IPC next.
    #[inline(always)]
    pub fn wake_served(&mut self, slot: usize) {
        if let Some(p) = self.t.slots[slot].as_deref_mut() {
            p.state = State::Runnable;
            self.t.handoff = Some(slot);
        }
    }

    /// Sleep in an IPC wait (until the counter reaches `until`, if any),
    /// switching to the receiver a handoff just woke if there is one, and
    /// unlock the table; returns once woken. A killed process does not go
    /// to sleep (the caller checks [`interrupted`]).
    #[inline(always)]
    pub fn block(self, until: Option<u64>) {
        let IpcFast { mut t, slot } = self;
        let p = t.proc(slot);
        if p.killed {
            return;
        }
        p.state = State::Blocked(Block::Ipc { until });
        match t.handoff.take() {
            Some(to) if to != slot && !t.zombies => switch_direct(t, slot, to),
            prefer => schedule_preferring(t, prefer),
        }
    }
}

/// [`schedule_preferring`] cut down to the direct IPC switch: from the
/// process in `from` (the running one, just blocked) to the one in `to`
/// (a receiver a handoff woke), with no zombie to reap. Anything else
/// (`to` no longer runnable) takes the general path.
#[inline(never)]
fn switch_direct(mut t: MutexGuard<'static, Table>, from: usize, to: usize) {
    let fp = t.fp_owner == Some(to);
    let next = match t.slots[to].as_deref_mut() {
        Some(p) if p.state == State::Runnable => p,
        _ => return schedule_preferring(t, None),
    };
    next.state = State::Running;
    let ttbr0 = next
        .aspace
        .as_ref()
        .map_or(mmu::empty_ttbr0(), |a| a.ttbr0());
    let to_ctx: *const Context = &next.context;
    let from_ctx: *mut Context = &mut t.proc(from).context;
    t.current = Some(to);
    drop(t);
    context::set_user_fp(fp);
    mmu::set_ttbr0(ttbr0);
    // SAFETY: as in `schedule_preferring`: both contexts live in boxed
    // process records, which are not freed while suspended.
    unsafe { context::switch(from_ctx, to_ctx) };
}

/// Wake `pid` if it sleeps in an IPC wait (endpoint wake hook).
pub fn wake_ipc(pid: Pid) {
    let mut t = table();
    if let Some(slot) = t.slot_of(pid) {
        let p = t.proc(slot);
        if matches!(p.state, State::Blocked(Block::Ipc { .. })) {
            p.state = State::Runnable;
        }
    }
}

/// Sleep until woken by an endpoint the caller registered with, or until
/// the counter reaches `until`. Returns whether the caller has been killed
/// (it then must not wait again: see [`interrupted`]).
pub fn block_ipc(until: Option<u64>) -> bool {
    let mut t = table();
    let Some(me) = t.current else { return false };
    // A killed process does not go to sleep: it is on its way out.
    if t.proc(me).killed {
        return true;
    }
    t.proc(me).state = State::Blocked(Block::Ipc { until });
    let prefer = t.handoff.take();
    schedule_preferring(t, prefer);
    interrupted()
}

/// Kill every process (the kernel test harness, after the user suite).
/// Returns how many were still alive.
pub fn kill_all() -> usize {
    let mut n = 0;
    {
        let mut t = table();
        for slot in 0..MAX_PROCS {
            let alive = t.slots[slot]
                .as_ref()
                .is_some_and(|p| !matches!(p.state, State::Zombie(_)));
            if alive {
                n += 1;
                t.mark_killed(slot);
                // Nobody is left to collect them: the kernel reaps them.
                t.proc(slot).parent = 0;
            }
        }
    }
    // Each ends itself the next time it runs.
    run_until(|| count() == 0);
    n
}

/// The running process's working directory.
pub fn current_cwd() -> Result<alloc::string::String, Error> {
    let mut t = table();
    let slot = t.current.ok_or(Error::InvalidArgument)?;
    Ok(t.proc(slot).cwd.clone())
}

/// Change the running process's working directory (already resolved).
pub fn set_cwd(path: alloc::string::String) -> Result<(), Error> {
    let mut t = table();
    let slot = t.current.ok_or(Error::InvalidArgument)?;
    t.proc(slot).cwd = path;
    Ok(())
}

/// Every process's pid.
pub fn pids() -> Vec<u32> {
    table().slots.iter().flatten().map(|p| p.pid).collect()
}

/// Whether `pid` is a descendant of the running process.
pub fn is_descendant(pid: Pid) -> Result<bool, Error> {
    let t = table();
    let me = t.current_pid();
    let mut at = t.slot_of(pid).ok_or(Error::NotFound)?;
    for _ in 0..MAX_PROCS {
        let parent = t.slots[at].as_ref().map_or(0, |p| p.parent);
        if parent == me {
            return Ok(true);
        }
        match t.slot_of(parent) {
            Some(s) if parent != 0 => at = s,
            _ => return Ok(false),
        }
    }
    Ok(false)
}
