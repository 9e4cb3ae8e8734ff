//! Connection storage: a slab of slots addressed by a key that carries a generation,
//! so an event or deadline meant for a connection that has since closed (and whose
//! slot was reused) is recognised as stale and ignored.

/// Keys with this bit set are not slab keys; the loop uses them for listeners, the
/// waker and the stop fd. Slab keys never set it.
pub(crate) const SPECIAL: u64 = 1 << 63;

const GEN_MASK: u32 = (1 << 31) - 1;

#[derive(Debug)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// A `Vec` of slots plus a free list; key = generation (31 bits) << 32 | index.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` and returns its key (bit 63 clear), or `None` when 2^32 slots
    /// are in use.
    pub(crate) fn insert(&mut self, value: T) -> Option<u64> {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.slots.len()).ok()?;
                self.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                index
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.value = Some(value);
        self.len += 1;
        Some(u64::from(slot.generation) << 32 | u64::from(index))
    }

    fn slot(&mut self, key: u64) -> Option<&mut Slot<T>> {
        let index = usize::try_from(key & u64::from(u32::MAX)).ok()?;
        let generation = u32::try_from(key >> 32).ok()?;
        self.slots
            .get_mut(index)
            .filter(|slot| slot.generation == generation && slot.value.is_some())
    }

    /// The value under `key`, unless it was removed since.
    pub(crate) fn get(&self, key: u64) -> Option<&T> {
        let index = usize::try_from(key & u64::from(u32::MAX)).ok()?;
        let generation = u32::try_from(key >> 32).ok()?;
        self.slots
            .get(index)
            .filter(|slot| slot.generation == generation)
            .and_then(|slot| slot.value.as_ref())
    }

    /// The value under `key`, unless it was removed since.
    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut T> {
        self.slot(key).and_then(|slot| slot.value.as_mut())
    }

    /// Takes the value under `key` out; the slot's next key gets a new generation.
    pub(crate) fn remove(&mut self, key: u64) -> Option<T> {
        let slot = self.slot(key)?;
        let value = slot.value.take();
        slot.generation = (slot.generation + 1) & GEN_MASK;
        self.len -= 1;
        self.free.push((key & u64::from(u32::MAX)) as u32);
        value
    }

    /// Number of values stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The keys of every value stored.
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.iter().enumerate().filter_map(|(index, slot)| {
            slot.value
                .as_ref()
                .map(|_| u64::from(slot.generation) << 32 | index as u64)
        })
    }

    /// Removes every value.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.len = 0;
        self.free.clear();
        self.slots.drain(..).filter_map(|slot| slot.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_does_not_answer_to_its_old_key() {
        let mut slab = Slab::default();
        let a = slab.insert("a").unwrap();
        let b = slab.insert("b").unwrap();
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        let c = slab.insert("c").unwrap();
        assert_eq!(c & 0xffff_ffff, a & 0xffff_ffff, "slot reused");
        assert_ne!(c, a);
        assert_eq!(slab.get_mut(a), None);
        assert_eq!(slab.get_mut(c), Some(&mut "c"));
        assert_eq!(slab.get_mut(b), Some(&mut "b"));
        let mut keys: Vec<u64> = slab.keys().collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [b, c],
            "b is slot 1, generation 0; c reuses slot 0 with generation 1"
        );
        assert_eq!(slab.drain().count(), 2);
        assert_eq!(slab.len(), 0);
    }

    #[test]
    fn keys_never_collide_with_special_tokens() {
        let mut slab = Slab::default();
        let mut key = slab.insert(()).unwrap();
        for _ in 0..1000 {
            assert_eq!(key & SPECIAL, 0);
            slab.remove(key);
            key = slab.insert(()).unwrap();
        }
    }
}
