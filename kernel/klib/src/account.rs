//! Hierarchical resource accounts: how a family of processes is kept from
//! exhausting any global resource.
//!
//! Every process has an [`Account`] with a limit per [`Resource`]. The
//! limits are not created from nothing: spawning a child *lends* the
//! child's limits out of the parent's account (charged to the parent as
//! used), and the kernel's root account holds exactly the global capacity
//! (process-table slots, frames for processes, endpoint and message pools).
//! So at any moment the sum of everything charged anywhere is at most the
//! root's limits: no process, and no family of processes however deep,
//! can take more than the capacity that exists — they get `QuotaExceeded`
//! from their own account first.
//!
//! Objects remember the account they were charged to. When a process is
//! reaped its account is *closed*: the budget lent to it goes back to the
//! parent, except what is still charged (objects that outlive it, such as
//! messages it sent that are still queued); those charges move to the
//! parent, and releasing them later finds the parent through the closed
//! account's forward link.

use alloc::sync::Arc;
use spin::Mutex;

/// The kinds of resource accounted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// 4 KiB frames: user memory, page tables, kernel stacks.
    Pages = 0,
    /// Process-table slots (the process itself and its descendants).
    Processes = 1,
    /// Live channel endpoints created.
    Endpoints = 2,
    /// Messages sent and not yet received.
    Messages = 3,
    /// Bytes of messages sent and not yet received.
    MessageBytes = 4,
}

pub const RESOURCES: usize = 5;
pub const ALL: [Resource; RESOURCES] = [
    Resource::Pages,
    Resource::Processes,
    Resource::Endpoints,
    Resource::Messages,
    Resource::MessageBytes,
];

/// One amount per resource, indexed by `Resource as usize`.
pub type Amounts = [usize; RESOURCES];

/// A charge would exceed the account's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaExceeded(pub Resource);

struct Inner {
    limit: Amounts,
    used: Amounts,
    parent: Option<Arc<Account>>,
    /// Set when closed: charges and releases go to this account instead.
    forward: Option<Arc<Account>>,
}

pub struct Account {
    inner: Mutex<Inner>,
}

impl Account {
    /// The root account, holding the system's whole capacity.
    pub fn root(limit: Amounts) -> Arc<Account> {
        Arc::new(Account {
            inner: Mutex::new(Inner {
                limit,
                used: [0; RESOURCES],
                parent: None,
                forward: None,
            }),
        })
    }

    /// The live account charges to `self` land in (itself unless closed).
    fn live(self: &Arc<Self>) -> Arc<Account> {
        let mut at = self.clone();
        loop {
            let next = at.inner.lock().forward.clone();
            match next {
                Some(f) => at = f,
                None => return at,
            }
        }
    }

    /// Run `f` on the live account's state, locked. The common case (the
    /// account is not closed) takes one lock and clones no `Arc`: this is
    /// on every message's path.
    fn with_live<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let next = {
            let mut inner = self.inner.lock();
            match &inner.forward {
                None => return f(&mut inner),
                Some(next) => next.clone(),
            }
        };
        let live = next.live();
        let mut inner = live.inner.lock();
        f(&mut inner)
    }

    /// Charge several resources at once: all or nothing.
    pub fn charge_all(&self, amounts: &Amounts) -> Result<(), QuotaExceeded> {
        self.with_live(|inner| {
            for r in ALL {
                let i = r as usize;
                if inner.used[i]
                    .checked_add(amounts[i])
                    .is_none_or(|u| u > inner.limit[i])
                {
                    return Err(QuotaExceeded(r));
                }
            }
            for (used, amount) in inner.used.iter_mut().zip(amounts) {
                *used += amount;
            }
            Ok(())
        })
    }

    /// Charge `n` of `r`.
    pub fn charge(&self, r: Resource, n: usize) -> Result<(), QuotaExceeded> {
        let mut amounts = [0; RESOURCES];
        amounts[r as usize] = n;
        self.charge_all(&amounts)
    }

    /// Give back `n` of `r` charged earlier to this account.
    pub fn release(&self, r: Resource, n: usize) {
        let mut amounts = [0; RESOURCES];
        amounts[r as usize] = n;
        self.release_all(&amounts);
    }

    /// Give back several resources charged earlier, under one lock.
    pub fn release_all(&self, amounts: &Amounts) {
        self.with_live(|inner| {
            for (i, (used, &n)) in inner.used.iter_mut().zip(amounts).enumerate() {
                debug_assert!(*used >= n, "releasing more {:?} than charged", ALL[i]);
                *used = used.saturating_sub(n);
            }
        })
    }

    /// A child account with `limit`, lent out of this one.
    pub fn open_child(self: &Arc<Self>, limit: Amounts) -> Result<Arc<Account>, QuotaExceeded> {
        self.charge_all(&limit)?;
        Ok(Arc::new(Account {
            inner: Mutex::new(Inner {
                limit,
                used: [0; RESOURCES],
                parent: Some(self.clone()),
                forward: None,
            }),
        }))
    }

    /// Close a child account: its unused budget returns to the parent and
    /// what is still charged to it becomes the parent's. Closing the root
    /// or an already closed account does nothing.
    pub fn close(self: &Arc<Self>) {
        let (limit, used, parent) = {
            let mut inner = self.inner.lock();
            let Some(parent) = inner.parent.take() else {
                return;
            };
            if inner.forward.is_some() {
                return;
            }
            inner.forward = Some(parent.clone());
            (inner.limit, inner.used, parent)
        };
        let live = parent.live();
        let mut p = live.inner.lock();
        for i in 0..RESOURCES {
            // The lent limit was charged to the parent; replace it with what
            // is really still in use.
            p.used[i] = p.used[i].saturating_sub(limit[i]) + used[i];
        }
    }

    /// What is charged to `r`, counting budgets lent to children.
    pub fn used(self: &Arc<Self>, r: Resource) -> usize {
        self.live().inner.lock().used[r as usize]
    }

    /// The limit for `r`.
    pub fn limit(self: &Arc<Self>, r: Resource) -> usize {
        self.live().inner.lock().limit[r as usize]
    }

    /// How much of `r` can still be charged.
    pub fn available(self: &Arc<Self>, r: Resource) -> usize {
        let live = self.live();
        let inner = live.inner.lock();
        inner.limit[r as usize].saturating_sub(inner.used[r as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Resource::*;

    fn amounts(pages: usize, procs: usize, eps: usize) -> Amounts {
        [pages, procs, eps, 0, 0]
    }

    #[test]
    fn charges_stop_at_the_limit_atomically() {
        let root = Account::root(amounts(10, 2, 4));
        root.charge(Pages, 10).unwrap();
        assert_eq!(root.charge(Pages, 1), Err(QuotaExceeded(Pages)));
        // A multi-resource charge that fails on one resource charges none.
        assert_eq!(
            root.charge_all(&amounts(0, 1, 5)),
            Err(QuotaExceeded(Endpoints))
        );
        assert_eq!(root.used(Processes), 0);
        root.release(Pages, 4);
        assert_eq!(root.available(Pages), 4);
    }

    #[test]
    fn children_are_lent_budget_not_given_new_capacity() {
        let root = Account::root(amounts(100, 10, 64));
        let a = root.open_child(amounts(60, 5, 32)).unwrap();
        assert_eq!(root.available(Pages), 40);
        // A second child cannot get more than what is left.
        assert_eq!(
            root.open_child(amounts(60, 1, 1)).err(),
            Some(QuotaExceeded(Pages))
        );
        // Grandchildren come out of the child's budget, however deep: each
        // process charges its own slot and lends the rest down the chain.
        a.charge(Processes, 1).unwrap();
        let mut chain = a.clone();
        let mut depth = 0;
        loop {
            let left = chain.available(Processes);
            let Ok(next) = chain.open_child(amounts(1, left, 1)) else {
                break;
            };
            if next.charge(Processes, 1).is_err() {
                break;
            }
            chain = next;
            depth += 1;
        }
        assert_eq!(depth, 4, "a's five slots: a itself and four descendants");
        // Nothing anywhere exceeds the root's capacity.
        assert!(root.used(Pages) <= 100 && root.used(Processes) <= 10);
    }

    #[test]
    fn closing_returns_unused_budget_and_keeps_outstanding_charges() {
        let root = Account::root(amounts(100, 10, 64));
        let child = root.open_child(amounts(50, 2, 32)).unwrap();
        child.charge(Endpoints, 3).unwrap();
        child.charge(Pages, 10).unwrap();
        child.release(Pages, 10);
        child.close();
        // The 3 endpoints outlive the child: still charged, now to root.
        assert_eq!(root.used(Endpoints), 3);
        assert_eq!(root.used(Pages), 0);
        // Releasing through the closed account reaches the root.
        child.release(Endpoints, 3);
        assert_eq!(root.used(Endpoints), 0);
        // Closing twice changes nothing.
        child.close();
        assert_eq!(root.used(Endpoints), 0);
    }

    #[test]
    fn orphaned_grandchildren_settle_with_the_nearest_live_ancestor() {
        let root = Account::root(amounts(100, 10, 64));
        let child = root.open_child(amounts(50, 5, 32)).unwrap();
        let grandchild = child.open_child(amounts(20, 2, 8)).unwrap();
        grandchild.charge(Endpoints, 2).unwrap();
        // The child dies first: the grandchild's budget stays charged, to root.
        child.close();
        assert_eq!(root.used(Pages), 20);
        assert_eq!(root.used(Endpoints), 8);
        grandchild.release(Endpoints, 2);
        grandchild.close();
        assert_eq!(root.used(Pages), 0);
        assert_eq!(root.used(Endpoints), 0);
        assert_eq!(root.used(Processes), 0);
    }
    #[test]
    fn release_all_gives_back_several_at_once_also_when_closed() {
        let root = Account::root(amounts(100, 10, 64));
        let child = root.open_child(amounts(50, 2, 32)).unwrap();
        child.charge_all(&[5, 1, 3, 0, 0]).unwrap();
        child.release_all(&[2, 1, 0, 0, 0]);
        assert_eq!((child.used(Pages), child.used(Processes)), (3, 0));
        child.close();
        assert_eq!(root.used(Endpoints), 3);
        child.release_all(&[3, 0, 3, 0, 0]);
        assert_eq!((root.used(Pages), root.used(Endpoints)), (0, 0));
    }
}
