//! A reader for git's commit-graph file (`objects/info/commit-graph`, Documentation/gitformat-
//! commit-graph): commits by position with their root tree, parents and committer time, and
//! the changed-path Bloom filters (BIDX/BDAT chunks) that let a file-history walk skip every
//! commit that did not touch the file without reading a tree. gix reads commit-graphs but does
//! not expose the Bloom filters, so the few chunks needed are read here.
//!
//! Maintenance (`git::maintenance`) writes one graph file (no split chain); a graph that has
//! base graphs, another hash, or no Bloom filters still serves commits, or is ignored.

use gix::ObjectId;
use std::path::Path;

const PARENT_NONE: u32 = 0x7000_0000;
const EDGE_FLAG: u32 = 0x8000_0000;
const CDAT_WIDTH: usize = 20 + 16;

/// Seeds of git's two murmur3 hashes for Bloom keys (bloom.c).
const SEED0: u32 = 0x293a_e76f;
const SEED1: u32 = 0x7e64_6e2c;

pub struct CommitGraph {
    data: Vec<u8>,
    commits: u32,
    fanout: usize,
    oids: usize,
    cdat: usize,
    edges: Option<usize>,
    bloom: Option<Bloom>,
    /// (length, modification time) of the file read, to notice a rewrite.
    pub stamp: (u64, std::time::SystemTime),
}

struct Bloom {
    /// Offset of BIDX (one cumulative end offset per commit).
    index: usize,
    /// Offset of the filter data (after the BDAT header) and its end.
    data: usize,
    end: usize,
    version: u32,
    hashes: u32,
}

/// The Bloom keys of a path and of each folder above it: git adds every one of them to the
/// filter of a commit that changed the path.
pub struct PathKeys(Vec<Vec<u32>>);

impl CommitGraph {
    /// Reads a repository's commit-graph; `None` when it has none (or one this reader does not
    /// understand, which only costs speed).
    pub fn open(repo: &Path) -> Option<CommitGraph> {
        let path = repo.join("objects/info/commit-graph");
        let meta = std::fs::metadata(&path).ok()?;
        let data = std::fs::read(&path).ok()?;
        let stamp = (meta.len(), meta.modified().ok()?);
        let graph = Self::parse(data, stamp);
        if graph.is_none() {
            tracing::debug!(path = %path.display(), "commit-graph not usable");
        }
        graph
    }

    /// The (length, modification time) of a repository's commit-graph file.
    pub fn stamp_of(repo: &Path) -> Option<(u64, std::time::SystemTime)> {
        let meta = std::fs::metadata(repo.join("objects/info/commit-graph")).ok()?;
        Some((meta.len(), meta.modified().ok()?))
    }

    fn parse(data: Vec<u8>, stamp: (u64, std::time::SystemTime)) -> Option<CommitGraph> {
        if data.len() < 8 || &data[..4] != b"CGPH" || data[4] != 1 || data[5] != 1 {
            return None;
        }
        let chunks = data[6] as usize;
        if data[7] != 0 {
            // Part of a split chain: positions would continue the base graphs.
            return None;
        }
        let mut table = Vec::with_capacity(chunks);
        for i in 0..=chunks {
            let at = 8 + i * 12;
            let entry = data.get(at..at + 12)?;
            let id: [u8; 4] = entry[..4].try_into().ok()?;
            let offset = u64::from_be_bytes(entry[4..12].try_into().ok()?) as usize;
            table.push((id, offset));
        }
        let chunk = |name: &[u8; 4]| -> Option<(usize, usize)> {
            let i = table.iter().position(|(id, _)| id == name)?;
            let (start, end) = (table[i].1, table.get(i + 1)?.1);
            (start <= end && end <= data.len()).then_some((start, end))
        };
        let (fanout, fanout_end) = chunk(b"OIDF")?;
        if fanout_end - fanout != 1024 {
            return None;
        }
        let commits = be32(&data, fanout + 255 * 4)?;
        let (oids, oids_end) = chunk(b"OIDL")?;
        let (cdat, cdat_end) = chunk(b"CDAT")?;
        if oids_end - oids != commits as usize * 20
            || cdat_end - cdat != commits as usize * CDAT_WIDTH
        {
            return None;
        }
        let edges = chunk(b"EDGE").map(|(s, _)| s);
        let bloom = match (chunk(b"BIDX"), chunk(b"BDAT")) {
            (Some((index, index_end)), Some((bdat, bdat_end)))
                if index_end - index == commits as usize * 4 && bdat_end - bdat >= 12 =>
            {
                let version = be32(&data, bdat)?;
                let hashes = be32(&data, bdat + 4)?;
                ((version == 1 || version == 2) && (1..=32).contains(&hashes)).then_some(Bloom {
                    index,
                    data: bdat + 12,
                    end: bdat_end,
                    version,
                    hashes,
                })
            }
            _ => None,
        };
        Some(CommitGraph {
            data,
            commits,
            fanout,
            oids,
            cdat,
            edges,
            bloom,
            stamp,
        })
    }

    pub fn len(&self) -> u32 {
        self.commits
    }

    pub fn is_empty(&self) -> bool {
        self.commits == 0
    }

    pub fn has_bloom_filters(&self) -> bool {
        self.bloom.is_some()
    }

    /// The position of a commit in the graph.
    pub fn lookup(&self, id: &gix::oid) -> Option<u32> {
        let bytes = id.as_bytes();
        let first = bytes[0] as usize;
        let lo = if first == 0 {
            0
        } else {
            be32(&self.data, self.fanout + (first - 1) * 4)?
        };
        let hi = be32(&self.data, self.fanout + first * 4)?;
        let (mut lo, mut hi) = (lo as usize, (hi as usize).min(self.commits as usize));
        while lo < hi {
            let mid = (lo + hi) / 2;
            let at = self.oids + mid * 20;
            match self.data[at..at + 20].cmp(bytes) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    pub fn id(&self, pos: u32) -> ObjectId {
        let at = self.oids + pos as usize * 20;
        ObjectId::from_bytes_or_panic(&self.data[at..at + 20])
    }

    pub fn tree(&self, pos: u32) -> ObjectId {
        let at = self.cdat + pos as usize * CDAT_WIDTH;
        ObjectId::from_bytes_or_panic(&self.data[at..at + 20])
    }

    /// Committer time in seconds.
    pub fn time(&self, pos: u32) -> i64 {
        let at = self.cdat + pos as usize * CDAT_WIDTH + 28;
        let high = be32(&self.data, at).unwrap_or(0) & 0x3;
        let low = be32(&self.data, at + 4).unwrap_or(0);
        (((high as u64) << 32) | low as u64) as i64
    }

    /// The positions of a commit's parents, in order; `None` if the graph is inconsistent.
    pub fn parents(&self, pos: u32, out: &mut Vec<u32>) -> Option<()> {
        out.clear();
        let at = self.cdat + pos as usize * CDAT_WIDTH + 20;
        let (p1, p2) = (be32(&self.data, at)?, be32(&self.data, at + 4)?);
        if p1 == PARENT_NONE {
            return Some(());
        }
        out.push(self.checked(p1)?);
        if p2 == PARENT_NONE {
            return Some(());
        }
        if p2 & EDGE_FLAG == 0 {
            out.push(self.checked(p2)?);
            return Some(());
        }
        let mut at = self.edges? + (p2 & !EDGE_FLAG) as usize * 4;
        loop {
            let e = be32(&self.data, at)?;
            out.push(self.checked(e & !EDGE_FLAG)?);
            if e & EDGE_FLAG != 0 || out.len() > 100_000 {
                return Some(());
            }
            at += 4;
        }
    }

    fn checked(&self, pos: u32) -> Option<u32> {
        (pos < self.commits).then_some(pos)
    }

    /// The Bloom keys of `path` (a repository path without leading or trailing slash), for
    /// this graph's filter settings; `None` without filters.
    pub fn keys(&self, path: &str) -> Option<PathKeys> {
        let bloom = self.bloom.as_ref()?;
        let mut keys = Vec::new();
        let bytes = path.as_bytes();
        let mut ends: Vec<usize> = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'/')
            .map(|(i, _)| i)
            .collect();
        ends.push(bytes.len());
        for end in ends {
            let part = &bytes[..end];
            let h0 = murmur3(SEED0, part, bloom.version);
            let h1 = murmur3(SEED1, part, bloom.version);
            keys.push(
                (0..bloom.hashes)
                    .map(|i| h0.wrapping_add(i.wrapping_mul(h1)))
                    .collect(),
            );
        }
        Some(PathKeys(keys))
    }

    /// True when the commit's filter says the path (or a folder above it) is not among what the
    /// commit changed against its first parent: the file there is the first parent's. False
    /// means "maybe changed" (or no filter for that commit).
    pub fn unchanged(&self, pos: u32, keys: &PathKeys) -> bool {
        let Some(bloom) = &self.bloom else {
            return false;
        };
        let end = match be32(&self.data, bloom.index + pos as usize * 4) {
            Some(e) => e as usize,
            None => return false,
        };
        let start = if pos == 0 {
            0
        } else {
            match be32(&self.data, bloom.index + (pos as usize - 1) * 4) {
                Some(s) => s as usize,
                None => return false,
            }
        };
        let (start, end) = (bloom.data + start, bloom.data + end);
        if start >= end || end > bloom.end {
            // No filter computed for this commit.
            return false;
        }
        let filter = &self.data[start..end];
        let bits = (filter.len() * 8) as u64;
        keys.0.iter().any(|key| {
            key.iter().any(|h| {
                let bit = *h as u64 % bits;
                filter[(bit / 8) as usize] & (1 << (bit % 8)) == 0
            })
        })
    }
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// git's seeded murmur3 (bloom.c). Version 1 filters were written by a git that read bytes as
/// (signed) `char`, so bytes ≥ 0x80 are sign-extended there; version 2 fixed it.
fn murmur3(seed: u32, data: &[u8], version: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let byte = |b: u8| -> u32 {
        if version == 1 {
            b as i8 as i32 as u32
        } else {
            b as u32
        }
    };
    let mut h = seed;
    let blocks = data.len() / 4;
    for i in 0..blocks {
        let b = &data[i * 4..i * 4 + 4];
        let mut k = byte(b[0]) | (byte(b[1]) << 8) | (byte(b[2]) << 16) | (byte(b[3]) << 24);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = &data[blocks * 4..];
    let mut k1: u32 = 0;
    if tail.len() >= 3 {
        k1 ^= byte(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        k1 ^= byte(tail[1]) << 8;
    }
    if !tail.is_empty() {
        k1 ^= byte(tail[0]);
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k1;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_gits_test_vectors() {
        // t/helper/test-bloom.c "get_murmur3" outputs from git's t0095-bloom.sh.
        assert_eq!(murmur3(0, b"", 2), 0x0000_0000);
        assert_eq!(murmur3(0, b"Hello world!", 2), 0x627b_0c2c);
        assert_eq!(
            murmur3(0, b"The quick brown fox jumps over the lazy dog", 2),
            0x2e4f_f723
        );
        // Bytes ≥ 0x80: version 2 is plain murmur3; version 1 differs there (the integration
        // tests check both against filters git wrote).
        assert_eq!(murmur3(0, b"\x99\xaa\xbb\xcc\xdd\xee\xff", 2), 0xa183_ccfd);
        assert_ne!(murmur3(0, b"\x99\xaa\xbb\xcc\xdd\xee\xff", 1), 0xa183_ccfd);
        assert_eq!(
            murmur3(7, b"ascii/path.txt", 1),
            murmur3(7, b"ascii/path.txt", 2)
        );
    }
}
