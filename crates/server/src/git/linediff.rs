//! Line diffs of two blobs, hunked like `git diff -U<n>`: Myers with git's indent heuristic
//! (imara-diff), hunks that are at most 2·n lines apart merged, git's header numbering (a side
//! with no lines starts at the line before the hunk).

use gix_imara_diff::{Algorithm, Diff, InternedInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Add,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    /// 1-based line numbers on each side; `None` on the side the line is not on.
    pub before: Option<u32>,
    pub after: Option<u32>,
    /// The line without its line ending.
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub before_start: u32,
    pub before_count: u32,
    pub after_start: u32,
    pub after_count: u32,
    pub lines: Vec<Line>,
}

/// git's binary test: a NUL byte in the first 8000 bytes.
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(8000)].contains(&0)
}

/// Lines including their terminating `\n` (the last may have none).
pub fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in data.iter().enumerate() {
        if *b == b'\n' {
            lines.push(&data[start..=i]);
            start = i + 1;
        }
    }
    if start < data.len() {
        lines.push(&data[start..]);
    }
    lines
}

fn strip_all_whitespace(line: &[u8]) -> Vec<u8> {
    line.iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect()
}

fn text(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    String::from_utf8_lossy(line).into_owned()
}

/// The changed regions of two line sequences, as (before range, after range), 0-based.
pub fn changed_regions(
    before: &[&[u8]],
    after: &[&[u8]],
    ignore_whitespace: bool,
) -> Vec<(std::ops::Range<u32>, std::ops::Range<u32>)> {
    let mut input: InternedInput<Vec<u8>> = InternedInput::default();
    if ignore_whitespace {
        input.update_before(before.iter().map(|l| strip_all_whitespace(l)));
        input.update_after(after.iter().map(|l| strip_all_whitespace(l)));
    } else {
        input.update_before(before.iter().map(|l| l.to_vec()));
        input.update_after(after.iter().map(|l| l.to_vec()));
    }
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    diff.hunks().map(|h| (h.before, h.after)).collect()
}

/// Hunks of a unified diff with `context` lines around each change.
pub fn hunks(before: &[u8], after: &[u8], context: u32, ignore_whitespace: bool) -> Vec<Hunk> {
    let b = split_lines(before);
    let a = split_lines(after);
    let regions = changed_regions(&b, &a, ignore_whitespace);
    let (nb, na) = (b.len() as u32, a.len() as u32);

    // Group regions whose gap is at most 2·context lines (git's rule).
    let mut groups: Vec<Vec<(std::ops::Range<u32>, std::ops::Range<u32>)>> = Vec::new();
    for r in regions {
        match groups.last_mut() {
            Some(g) if r.0.start - g.last().map(|l| l.0.end).unwrap_or(0) <= 2 * context => {
                g.push(r)
            }
            _ => groups.push(vec![r]),
        }
    }

    let mut out = Vec::new();
    for g in groups {
        let (first, last) = (&g[0], &g[g.len() - 1]);
        let lead = first.0.start.min(context);
        let b_start = first.0.start - lead;
        let a_start = first.1.start - lead;
        let b_end = (last.0.end + context).min(nb);
        let trail = b_end - last.0.end;
        let a_end = (last.1.end + trail).min(na);
        let mut lines = Vec::new();
        let (mut bi, mut ai) = (b_start, a_start);
        for (br, ar) in &g {
            while bi < br.start {
                // Like git, context shows the after side's text (they differ when
                // whitespace is ignored).
                lines.push(Line {
                    kind: LineKind::Context,
                    before: Some(bi + 1),
                    after: Some(ai + 1),
                    content: text(a[ai as usize]),
                });
                bi += 1;
                ai += 1;
            }
            for i in br.clone() {
                lines.push(Line {
                    kind: LineKind::Delete,
                    before: Some(i + 1),
                    after: None,
                    content: text(b[i as usize]),
                });
            }
            for i in ar.clone() {
                lines.push(Line {
                    kind: LineKind::Add,
                    before: None,
                    after: Some(i + 1),
                    content: text(a[i as usize]),
                });
            }
            bi = br.end;
            ai = ar.end;
        }
        while bi < b_end {
            lines.push(Line {
                kind: LineKind::Context,
                before: Some(bi + 1),
                after: Some(ai + 1),
                content: text(a[ai as usize]),
            });
            bi += 1;
            ai += 1;
        }
        let (bc, ac) = (b_end - b_start, a_end - a_start);
        out.push(Hunk {
            // git numbers an empty side from the line before it.
            before_start: if bc == 0 { b_start } else { b_start + 1 },
            before_count: bc,
            after_start: if ac == 0 { a_start } else { a_start + 1 },
            after_count: ac,
            lines,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_change_with_context() {
        let before = b"1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let after = b"1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        let h = hunks(before, after, 3, false);
        assert_eq!(h.len(), 1);
        assert_eq!(
            (
                h[0].before_start,
                h[0].before_count,
                h[0].after_start,
                h[0].after_count
            ),
            (2, 7, 2, 7)
        );
        assert_eq!(
            h[0].lines[3],
            Line {
                kind: LineKind::Delete,
                before: Some(5),
                after: None,
                content: "5".into()
            }
        );
        assert_eq!(
            h[0].lines[4],
            Line {
                kind: LineKind::Add,
                before: None,
                after: Some(5),
                content: "five".into()
            }
        );
    }

    #[test]
    fn new_file_and_far_apart_changes() {
        let h = hunks(b"", b"a\nb\n", 3, false);
        assert_eq!(
            (
                h[0].before_start,
                h[0].before_count,
                h[0].after_start,
                h[0].after_count
            ),
            (0, 0, 1, 2)
        );
        let before: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let after = before.replace("2\n", "two\n").replace("19\n", "nineteen\n");
        let h = hunks(before.as_bytes(), after.as_bytes(), 3, false);
        assert_eq!(h.len(), 2);
        let h = hunks(before.as_bytes(), after.as_bytes(), 8, false);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn whitespace_can_be_ignored() {
        assert!(hunks(b"a b\n", b"a  b\n", 3, true).is_empty());
        assert_eq!(hunks(b"a b\n", b"a  b\n", 3, false).len(), 1);
    }

    #[test]
    fn binary_detection() {
        assert!(is_binary(b"ab\0c"));
        assert!(!is_binary(b"abc"));
    }
}
