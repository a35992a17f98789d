//! A process's handle table: a fixed number of slots holding kernel
//! objects with rights. Handle values carry the slot's generation, so a
//! closed handle's value is not a reusable guess: after close, the old
//! value is `Invalid` even when the slot holds something new.

/// What a handle allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rights(pub u32);

impl Rights {
    pub const READ: Rights = Rights(1);
    pub const WRITE: Rights = Rights(2);
    /// May be sent in a message or passed to a child.
    pub const TRANSFER: Rights = Rights(4);
    /// May be duplicated with `handle_dup`.
    pub const DUPLICATE: Rights = Rights(8);
    /// On a process: may end it.
    pub const KILL: Rights = Rights(16);
    pub const ALL: Rights = Rights(31);
    pub const NONE: Rights = Rights(0);
    /// What a parent gets on the child it spawns: wait, kill, pass on,
    /// duplicate.
    pub const PROCESS: Rights =
        Rights(Self::READ.0 | Self::KILL.0 | Self::TRANSFER.0 | Self::DUPLICATE.0);

    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// Whether every right in `self` is also in `of`.
    pub const fn is_subset(self, of: Rights) -> bool {
        of.contains(self)
    }
}

/// A handle value as user space sees it: `generation << 8 | (slot + 1)`.
/// Zero is never a valid handle.
pub type HandleValue = u32;

/// The slot does not hold what the value names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid;

/// The table is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

struct Slot<T> {
    generation: u32,
    entry: Option<(T, Rights)>,
}

pub struct HandleTable<T, const N: usize> {
    slots: [Slot<T>; N],
    used: usize,
}

const GENERATION_MASK: u32 = 0x00ff_ffff;

fn encode(slot: usize, generation: u32) -> HandleValue {
    (generation << 8) | (slot as u32 + 1)
}

impl<T, const N: usize> Default for HandleTable<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> HandleTable<T, N> {
    pub fn new() -> Self {
        const { assert!(N < 256, "slot numbers must fit in 8 bits") };
        Self {
            slots: core::array::from_fn(|_| Slot {
                generation: 1,
                entry: None,
            }),
            used: 0,
        }
    }

    fn decode(&self, h: HandleValue) -> Result<usize, Invalid> {
        let slot = (h & 0xff) as usize;
        if slot == 0 || slot > N {
            return Err(Invalid);
        }
        let s = &self.slots[slot - 1];
        if s.entry.is_none() || s.generation != h >> 8 {
            return Err(Invalid);
        }
        Ok(slot - 1)
    }

    /// Handles in use.
    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    pub const fn capacity(&self) -> usize {
        N
    }

    /// Free slots.
    pub fn free(&self) -> usize {
        N - self.used
    }

    /// Store an object; returns its handle.
    pub fn insert(&mut self, object: T, rights: Rights) -> Result<HandleValue, (Full, T)> {
        let Some(i) = self.slots.iter().position(|s| s.entry.is_none()) else {
            return Err((Full, object));
        };
        self.slots[i].entry = Some((object, rights));
        self.used += 1;
        Ok(encode(i, self.slots[i].generation))
    }

    /// The values `insert` would return for the next `n` inserts (if there
    /// is room), without inserting: lets a caller publish handle values
    /// before committing.
    pub fn peek_next(&self, n: usize, out: &mut [HandleValue]) -> Result<(), Full> {
        if n > self.free() || n > out.len() {
            return Err(Full);
        }
        let free = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.entry.is_none());
        for (o, (i, s)) in out.iter_mut().zip(free).take(n) {
            *o = encode(i, s.generation);
        }
        Ok(())
    }

    /// The object and rights behind `h`.
    pub fn get(&self, h: HandleValue) -> Result<(&T, Rights), Invalid> {
        let i = self.decode(h)?;
        let (obj, rights) = self.slots[i].entry.as_ref().ok_or(Invalid)?;
        Ok((obj, *rights))
    }

    /// Take the object out; the value `h` is dead from now on.
    pub fn remove(&mut self, h: HandleValue) -> Result<(T, Rights), Invalid> {
        let i = self.decode(h)?;
        let s = &mut self.slots[i];
        let entry = s.entry.take().ok_or(Invalid)?;
        s.generation = (s.generation + 1) & GENERATION_MASK;
        if s.generation == 0 {
            s.generation = 1;
        }
        self.used -= 1;
        Ok(entry)
    }

    /// Remove every handle (process exit), handing each object to `f`.
    pub fn drain(&mut self, mut f: impl FnMut(T)) {
        for s in self.slots.iter_mut() {
            if let Some((obj, _)) = s.entry.take() {
                s.generation = (s.generation + 1) & GENERATION_MASK;
                if s.generation == 0 {
                    s.generation = 1;
                }
                f(obj);
            }
        }
        self.used = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove_and_stale_values() {
        let mut t: HandleTable<&str, 4> = HandleTable::new();
        let h = t.insert("a", Rights::ALL).unwrap();
        assert_ne!(h, 0);
        assert_eq!(t.get(h), Ok((&"a", Rights::ALL)));
        assert_eq!(t.remove(h), Ok(("a", Rights::ALL)));
        assert_eq!(t.get(h), Err(Invalid));
        // The slot is reused, but the old value stays dead.
        let h2 = t.insert("b", Rights::READ).unwrap();
        assert_eq!(h2 & 0xff, h & 0xff);
        assert_ne!(h2, h);
        assert_eq!(t.get(h), Err(Invalid));
        assert_eq!(t.get(h2), Ok((&"b", Rights::READ)));
        assert_eq!(t.get(0), Err(Invalid));
        assert_eq!(t.get(0xffff_ffff), Err(Invalid));
        assert_eq!(t.get(5), Err(Invalid));
    }

    #[test]
    fn full_table_returns_the_object() {
        let mut t: HandleTable<u32, 2> = HandleTable::new();
        t.insert(1, Rights::ALL).unwrap();
        t.insert(2, Rights::ALL).unwrap();
        assert_eq!(t.insert(3, Rights::ALL), Err((Full, 3)));
        assert_eq!(t.free(), 0);
    }

    #[test]
    fn peek_predicts_inserts() {
        let mut t: HandleTable<u32, 4> = HandleTable::new();
        let a = t.insert(1, Rights::ALL).unwrap();
        t.insert(2, Rights::ALL).unwrap();
        t.remove(a).unwrap();
        let mut next = [0; 4];
        assert_eq!(
            t.peek_next(4, &mut next),
            Err(Full),
            "only three slots are free"
        );
        t.peek_next(2, &mut next).unwrap();
        assert_eq!(t.insert(10, Rights::ALL), Ok(next[0]));
        assert_eq!(t.insert(11, Rights::ALL), Ok(next[1]));
    }

    #[test]
    fn drain_empties_and_invalidates() {
        let mut t: HandleTable<u32, 4> = HandleTable::new();
        let hs: Vec<_> = (0..3).map(|i| t.insert(i, Rights::ALL).unwrap()).collect();
        let mut got = Vec::new();
        t.drain(|o| got.push(o));
        assert_eq!(got, [0, 1, 2]);
        assert!(t.is_empty());
        for h in hs {
            assert_eq!(t.get(h), Err(Invalid));
        }
    }

    #[test]
    fn rights_only_shrink_checks() {
        let rw = Rights::READ.union(Rights::WRITE);
        assert!(Rights::READ.is_subset(rw));
        assert!(!Rights::TRANSFER.is_subset(rw));
        assert!(rw.contains(Rights::WRITE));
        assert!(Rights::NONE.is_subset(Rights::NONE));
    }
}
