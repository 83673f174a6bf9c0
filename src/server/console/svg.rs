//! The dependency graph of a project's resources as inline SVG, laid out
//! simply: one column per topological depth (a resource sits one column
//! right of its deepest dependency), one row per resource in its column.
//! The same graph `terrace graph` writes as DOT, without external tools.

use super::html::esc;
use std::collections::BTreeMap;

/// One resource of the drawing: its label (`CONFIG/TYPE.NAME`) and the
/// indexes of the resources it depends on.
pub struct Node {
    pub label: String,
    pub deps: Vec<usize>,
}

const WIDTH: usize = 240;
const HEIGHT: usize = 30;
const GAP_X: usize = 80;
const GAP_Y: usize = 16;
const MARGIN: usize = 10;

/// The depth of each box: 0 without dependencies, else one more than its
/// deepest dependency. A cycle (which the graph refuses before this) is
/// cut where it closes.
fn depths(boxes: &[Node]) -> Vec<usize> {
    fn depth(i: usize, boxes: &[Node], memo: &mut [Option<usize>], on_path: &mut [bool]) -> usize {
        if let Some(d) = memo[i] {
            return d;
        }
        on_path[i] = true;
        let mut d = 0;
        for &dep in &boxes[i].deps {
            if dep < boxes.len() && !on_path[dep] {
                d = d.max(depth(dep, boxes, memo, on_path) + 1);
            }
        }
        on_path[i] = false;
        memo[i] = Some(d);
        d
    }
    let mut memo = vec![None; boxes.len()];
    let mut on_path = vec![false; boxes.len()];
    (0..boxes.len())
        .map(|i| depth(i, boxes, &mut memo, &mut on_path))
        .collect()
}

/// The SVG of `boxes`; edges run from each dependency to its dependents.
pub fn graph(boxes: &[Node]) -> String {
    let depths = depths(boxes);
    let mut columns: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, d) in depths.iter().enumerate() {
        columns.entry(*d).or_default().push(i);
    }
    let mut at = vec![(0usize, 0usize); boxes.len()];
    for (d, members) in &columns {
        for (row, &i) in members.iter().enumerate() {
            at[i] = (
                MARGIN + d * (WIDTH + GAP_X),
                MARGIN + row * (HEIGHT + GAP_Y),
            );
        }
    }
    let cols = columns.len().max(1);
    let rows = columns.values().map(Vec::len).max().unwrap_or(1).max(1);
    let (w, h) = (
        2 * MARGIN + cols * WIDTH + (cols - 1) * GAP_X,
        2 * MARGIN + rows * HEIGHT + (rows - 1) * GAP_Y,
    );
    let mut out = format!(
        r##"<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="graph-title"><title id="graph-title">Resources and their dependencies, dependencies on the left</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8a93a6"/></marker></defs>"##
    );
    for (i, b) in boxes.iter().enumerate() {
        let (x, y) = at[i];
        for &dep in &b.deps {
            if let Some(&(dx, dy)) = at.get(dep) {
                out.push_str(&format!(
                    r#"<line x1="{}" y1="{}" x2="{}" y2="{}" marker-end="url(#arrow)"/>"#,
                    dx + WIDTH,
                    dy + HEIGHT / 2,
                    x,
                    y + HEIGHT / 2
                ));
            }
        }
    }
    for (i, b) in boxes.iter().enumerate() {
        let (x, y) = at[i];
        // Long labels are cut to fit the box; the whole one is its title.
        let shown: String = if b.label.chars().count() > 34 {
            let mut s: String = b.label.chars().take(33).collect();
            s.push('…');
            s
        } else {
            b.label.clone()
        };
        out.push_str(&format!(
            r#"<g><title>{}</title><rect x="{x}" y="{y}" width="{WIDTH}" height="{HEIGHT}" rx="4"/><text x="{}" y="{}">{}</text></g>"#,
            esc(&b.label),
            x + 8,
            y + HEIGHT / 2 + 4,
            esc(&shown)
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_resource_sits_right_of_its_deepest_dependency() {
        let b = |label: &str, deps: Vec<usize>| Node {
            label: label.into(),
            deps,
        };
        let boxes = [b("a", vec![]), b("b", vec![0]), b("c", vec![0, 1])];
        assert_eq!(depths(&boxes), [0, 1, 2]);
        let svg = graph(&boxes);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert_eq!(svg.matches("<line").count(), 3);
    }

    #[test]
    fn labels_are_escaped() {
        let svg = graph(&[Node {
            label: "<script>".into(),
            deps: vec![],
        }]);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
    }
}
