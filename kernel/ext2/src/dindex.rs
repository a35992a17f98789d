//! An in-memory name index of directories: lookups, inserts and removals
//! without scanning the directory.
//!
//! A directory's index is built by one linear scan the first time a name
//! is looked up (or inserted, or removed) in it. It maps a hash of each
//! live entry's name to the entry's position and inode; the name itself is
//! not kept, a hit is checked against the directory block (which the block
//! cache usually holds). It also keeps each directory block's physical
//! number and the largest room a new entry could take in it, so inserts go
//! straight to the first block with room (the same first fit a linear scan
//! finds).
//!
//! Coherence: every change to a directory's entries goes through `dir.rs`
//! (`insert_in_block`, `dir_append_block`, `dir_remove`, `dir_set`), which
//! updates the index; a directory whose inode is released loses its index;
//! any failure while changing a directory drops that directory's index
//! (the next lookup rebuilds it from the blocks). Directories never shrink
//! while they are live.
//!
//! Memory is bounded: at most [`MAX_DIRS`] directories and [`MAX_SLOTS`]
//! table slots (12 bytes each) in all are kept, least recently used
//! directories being dropped first; directories larger than
//! [`MAX_INDEXED_BYTES`], or that cannot be parsed, are scanned linearly as
//! before. The index lives in the mounted [`crate::Fs`] and goes with it.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use crate::inode::Ino;

/// The most directories indexed at once.
pub(crate) const MAX_DIRS: usize = 32;

/// The most table slots in all indexes together (12 bytes each: 768 KiB).
pub(crate) const MAX_SLOTS: usize = 64 * 1024;

/// Larger directories are not indexed (scanned linearly). A directory this
/// size holds at most 21,845 entries (12 bytes each at least), which fit in
/// a table of [`MAX_SLOTS`] kept at most half full.
pub(crate) const MAX_INDEXED_BYTES: u64 = 256 * 1024;

/// The hash of a name (FNV-1a, 32 bits).
pub(crate) fn name_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for &b in name {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// One indexed entry. `ino == 0` marks a free table slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub hash: u32,
    /// Byte position of the entry in the directory.
    pub pos: u32,
    pub ino: Ino,
}

/// An open-addressing hash table (linear probing, deletion by backward
/// shifting, so no tombstones), at most half full.
#[derive(Debug, Default)]
pub(crate) struct Table {
    slots: Vec<Entry>,
    len: usize,
}

impl Table {
    /// The number of entries.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The number of slots (what the table costs).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The capacity after inserting one more entry.
    pub fn capacity_for_one_more(&self) -> usize {
        if (self.len + 1) * 2 > self.slots.len() {
            (self.slots.len() * 2).max(16)
        } else {
            self.slots.len()
        }
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Add `e` (`e.ino != 0`); fails only when memory runs out.
    pub fn insert(&mut self, e: Entry) -> Result<(), TryReserveError> {
        debug_assert!(e.ino != 0);
        if self.capacity_for_one_more() > self.slots.len() {
            self.grow()?;
        }
        self.place(e);
        Ok(())
    }

    /// Put `e` in the first free slot of its probe sequence (there is one).
    fn place(&mut self, e: Entry) {
        let mask = self.mask();
        let mut i = e.hash as usize & mask;
        while self.slots[i].ino != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = e;
        self.len += 1;
    }

    fn grow(&mut self) -> Result<(), TryReserveError> {
        let cap = self.capacity_for_one_more();
        let mut slots = Vec::new();
        slots.try_reserve_exact(cap)?;
        slots.resize(cap, Entry::default());
        let old = core::mem::replace(&mut self.slots, slots);
        self.len = 0;
        for e in old.into_iter().filter(|e| e.ino != 0) {
            self.place(e);
        }
        Ok(())
    }

    /// The slots holding entries with hash `hash`, in probe order.
    pub fn matches(&self, hash: u32) -> impl Iterator<Item = (usize, Entry)> + '_ {
        let mask = if self.slots.is_empty() {
            0
        } else {
            self.mask()
        };
        let mut i = hash as usize & mask;
        let mut done = self.slots.is_empty();
        core::iter::from_fn(move || {
            while !done {
                let (cur, e) = (i, self.slots[i]);
                if e.ino == 0 {
                    done = true;
                    return None;
                }
                i = (i + 1) & mask;
                if e.hash == hash {
                    return Some((cur, e));
                }
            }
            None
        })
    }

    /// The slot of the entry at directory position `pos` with hash `hash`.
    pub fn find_pos(&self, hash: u32, pos: u32) -> Option<usize> {
        self.matches(hash)
            .find(|(_, e)| e.pos == pos)
            .map(|(i, _)| i)
    }

    /// Change the inode of the entry in slot `i`.
    pub fn set_ino(&mut self, i: usize, ino: Ino) {
        debug_assert!(ino != 0 && self.slots[i].ino != 0);
        self.slots[i].ino = ino;
    }

    /// Remove the entry in slot `i`, moving later entries of its probe
    /// run back so that every entry stays reachable from its home slot.
    pub fn remove_at(&mut self, i: usize) {
        let mask = self.mask();
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let e = self.slots[j];
            if e.ino == 0 {
                break;
            }
            let home = e.hash as usize & mask;
            // `e` may fill the hole if the hole lies on its probe path.
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                self.slots[hole] = e;
                hole = j;
            }
        }
        self.slots[hole] = Entry::default();
        self.len -= 1;
    }

    /// Every entry (in table order).
    #[cfg(test)]
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.slots.iter().copied().filter(|e| e.ino != 0)
    }
}

/// The room left in one directory block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BlockRoom {
    /// The largest entry (rec_len) that fits in the block.
    pub max: u32,
    /// The offset of the entry with that room.
    pub off: u32,
    /// At least the room of every other entry (so that using up the room
    /// at `off` does not always mean walking the block again).
    pub others: u32,
}

impl BlockRoom {
    /// The entry at `off` now has `room` bytes of room, more than before.
    pub fn grew(&mut self, off: u32, room: u32) {
        if off == self.off {
            self.max = self.max.max(room);
        } else if room > self.max {
            self.others = self.others.max(self.max);
            (self.max, self.off) = (room, off);
        } else {
            self.others = self.others.max(room);
        }
    }
}

/// The index of one directory.
#[derive(Debug)]
pub(crate) struct DirIndex {
    pub dir: Ino,
    /// When it was last used (a counter), for eviction.
    pub last_use: u64,
    /// The physical block of each directory block, in order.
    pub blocks: Vec<u32>,
    /// The room left in each block.
    pub room: Vec<BlockRoom>,
    pub table: Table,
}

impl DirIndex {
    /// The first block with room for an entry of `need` bytes.
    pub fn block_with_room(&self, need: usize) -> Option<usize> {
        self.room.iter().position(|r| r.max as usize >= need)
    }
}

/// The indexes of the directories in use.
#[derive(Debug, Default)]
pub(crate) struct DirIndexes {
    dirs: Vec<DirIndex>,
    clock: u64,
}

impl DirIndexes {
    /// The index of directory `dir`, if it has one.
    pub fn get(&mut self, dir: Ino) -> Option<&mut DirIndex> {
        self.clock += 1;
        let now = self.clock;
        let d = self.dirs.iter_mut().find(|d| d.dir == dir)?;
        d.last_use = now;
        Some(d)
    }

    /// Forget the index of `dir`.
    pub fn drop_dir(&mut self, dir: Ino) {
        self.dirs.retain(|d| d.dir != dir);
    }

    fn total_slots(&self) -> usize {
        self.dirs.iter().map(|d| d.table.capacity()).sum()
    }

    /// Make room for `slots` more table slots (and one more directory if
    /// `new_dir`) by dropping the least recently used indexes other than
    /// `keep`'s. Returns false if that is not possible.
    pub fn make_room(&mut self, slots: usize, new_dir: bool, keep: Ino) -> bool {
        if slots > MAX_SLOTS {
            return false;
        }
        loop {
            let dirs_ok = !new_dir || self.dirs.len() < MAX_DIRS;
            if dirs_ok && self.total_slots() + slots <= MAX_SLOTS {
                return true;
            }
            let victim = self
                .dirs
                .iter()
                .enumerate()
                .filter(|(_, d)| d.dir != keep)
                .min_by_key(|(_, d)| d.last_use)
                .map(|(i, _)| i);
            match victim {
                Some(i) => {
                    self.dirs.swap_remove(i);
                }
                None => return false,
            }
        }
    }

    /// Add a freshly built index (after [`DirIndexes::make_room`]).
    pub fn add(&mut self, mut d: DirIndex) -> &mut DirIndex {
        self.clock += 1;
        d.last_use = self.clock;
        self.drop_dir(d.dir);
        self.dirs.push(d);
        self.dirs.last_mut().expect("just pushed")
    }

    /// Number of directories indexed.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.dirs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(hash: u32, pos: u32) -> Entry {
        Entry {
            hash,
            pos,
            ino: pos + 1,
        }
    }

    /// A model check: random inserts and removals with many collisions.
    #[test]
    fn table_matches_a_model() {
        let mut t = Table::default();
        let mut model: Vec<Entry> = Vec::new();
        let mut x: u64 = 12345;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for step in 0..20_000u32 {
            let r = next();
            if r % 3 != 0 || model.is_empty() {
                // Few distinct hashes, some sharing home slots.
                let e = entry((r >> 8) as u32 % 97 * 16 + (r as u32 % 3), step);
                t.insert(e).unwrap();
                model.push(e);
            } else {
                let k = (r >> 20) as usize % model.len();
                let e = model.swap_remove(k);
                let i = t.find_pos(e.hash, e.pos).expect("present");
                t.remove_at(i);
            }
            assert_eq!(t.len(), model.len());
            if step % 997 == 0 {
                for e in &model {
                    let found: Vec<Entry> = t.matches(e.hash).map(|(_, e)| e).collect();
                    assert!(found.contains(e), "{e:?} lost at step {step}");
                    assert!(found.iter().all(|f| f.hash == e.hash));
                }
                let mut all: Vec<Entry> = t.entries().collect();
                let mut want = model.clone();
                all.sort_by_key(|e| e.pos);
                want.sort_by_key(|e| e.pos);
                assert_eq!(all, want);
            }
        }
        assert!(t.matches(5).all(|(_, e)| e.hash == 5));
    }

    #[test]
    fn block_room_keeps_the_largest() {
        let mut r = BlockRoom::default();
        r.grew(0, 8);
        r.grew(12, 40);
        r.grew(60, 20);
        assert_eq!((r.max, r.off), (40, 12));
        assert!(r.others >= 20);
        // The holder grows; another entry overtakes it.
        r.grew(12, 44);
        assert_eq!((r.max, r.off), (44, 12));
        r.grew(60, 100);
        assert_eq!((r.max, r.off), (100, 60));
        assert!(r.others >= 44 && r.others <= r.max);
    }

    #[test]
    fn set_ino_and_empty_table() {
        let mut t = Table::default();
        assert_eq!(t.matches(1).count(), 0);
        assert_eq!(t.find_pos(1, 0), None);
        t.insert(entry(7, 3)).unwrap();
        let i = t.find_pos(7, 3).unwrap();
        t.set_ino(i, 99);
        assert_eq!(t.matches(7).next().unwrap().1.ino, 99);
        t.remove_at(i);
        assert_eq!(t.len(), 0);
        assert_eq!(t.matches(7).count(), 0);
    }

    #[test]
    fn eviction_is_bounded_and_least_recent_first() {
        let mut ix = DirIndexes::default();
        let new = |dir: Ino, n: usize| {
            let mut d = DirIndex {
                dir,
                last_use: 0,
                blocks: Vec::new(),
                room: Vec::new(),
                table: Table::default(),
            };
            for i in 0..n as u32 {
                d.table.insert(entry(i, i)).unwrap();
            }
            d
        };
        for dir in 0..MAX_DIRS as u32 {
            assert!(ix.make_room(10, true, 1000 + dir));
            ix.add(new(1000 + dir, 10));
        }
        assert_eq!(ix.len(), MAX_DIRS);
        ix.get(1000); // now the most recent
        assert!(ix.make_room(10, true, 5000));
        ix.add(new(5000, 10));
        assert_eq!(ix.len(), MAX_DIRS);
        assert!(ix.get(1000).is_some());
        assert!(ix.get(1001).is_none(), "the least recent went");
        // Too many slots for one directory.
        assert!(!ix.make_room(MAX_SLOTS + 1, true, 1));
        // Room for a big one drops the others except `keep`.
        assert!(ix.make_room(MAX_SLOTS - 32, false, 1000));
        assert_eq!(ix.len(), 1);
        ix.drop_dir(1000);
        assert_eq!(ix.len(), 0);
    }
}
