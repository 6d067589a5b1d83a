//! The relation graph: the entity in the centre and its direct relations around it, drawn
//! on the server as SVG.

use super::RelationView;
use crate::pages::catalog::shared::{EntityRow, parse_ref, ref_href, short_ref};
use leptos::prelude::*;

/// Relations drawn in the graph; the lists below it show all of them.
const GRAPH_NODES: usize = 24;

/// The entity in the centre and its direct relations around it, one node per related
/// entity (its relation types on the edge). Drawn on the server; nodes are links.
#[component]
pub(super) fn RelationGraph(row: EntityRow, relations: Vec<RelationView>) -> impl IntoView {
    let mut nodes: Vec<(RelationView, Vec<String>)> = Vec::new();
    for relation in relations {
        match nodes
            .iter_mut()
            .find(|(n, _)| n.target_ref == relation.target_ref)
        {
            Some((_, types)) => types.push(relation.relation_type.clone()),
            None => {
                let types = vec![relation.relation_type.clone()];
                nodes.push((relation, types));
            }
        }
    }
    let hidden = nodes.len().saturating_sub(GRAPH_NODES);
    nodes.truncate(GRAPH_NODES);
    let (width, height) = (720.0_f64, 440.0_f64);
    let (cx, cy) = (width / 2.0, height / 2.0);
    let count = nodes.len().max(1) as f64;
    let center_label = clip(&row.title.clone().unwrap_or_else(|| row.name.clone()), 22);
    let description = format!(
        "{} and its {} directly related entities",
        row.name,
        nodes.len()
    );
    let positioned: Vec<_> = nodes
        .into_iter()
        .enumerate()
        .map(|(i, (node, types))| {
            let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / count;
            // Radii keep the 160-wide node boxes inside the 720-wide view box.
            let x = cx + 270.0 * angle.cos();
            let y = cy + 170.0 * angle.sin();
            (x, y, node, types.join(", "))
        })
        .collect();
    view! {
        <section class="card graph" aria-labelledby="graph-heading">
            <h2 id="graph-heading">"Relation graph"</h2>
            <svg class="relation-graph" viewBox=format!("0 0 {width} {height}") role="img" aria-label=description>
                {positioned.iter().map(|(x, y, _, label)| {
                    let (mx, my) = ((cx + x) / 2.0, (cy + y) / 2.0);
                    view! {
                        <g class="edge">
                            <line x1=cx y1=cy x2=*x y2=*y/>
                            <text x=mx y=my text-anchor="middle">{clip(label, 28)}</text>
                        </g>
                    }
                }).collect_view()}
                <g class="node center">
                    <rect x=cx - 90.0 y=cy - 18.0 width="180" height="36" rx="6"/>
                    <text x=cx y=cy + 5.0 text-anchor="middle">{center_label}</text>
                </g>
                {positioned.into_iter().map(|(x, y, node, _)| {
                    let target = parse_ref(&node.target_ref);
                    let kind = target.as_ref().map(|r| r.kind.clone()).unwrap_or_default();
                    let label = clip(&short_ref(&node.target_ref), 20);
                    let full = node.target_ref.clone();
                    let class = format!("node kind-{kind}{}", if node.resolved { "" } else { " unresolved" });
                    let shape = view! {
                        <rect x=x - 80.0 y=y - 16.0 width="160" height="32" rx="6"/>
                        <text x=x y=y + 5.0 text-anchor="middle">{label}</text>
                    };
                    match target.filter(|_| node.resolved) {
                        Some(target) => view! {
                            <g class=class>
                                <a href=ref_href(&target)>
                                    <title>{full}</title>
                                    {shape}
                                </a>
                            </g>
                        }.into_any(),
                        _ => view! {
                            <g class=class>
                                <title>{format!("{full} (not in the catalog)")}</title>
                                {shape}
                            </g>
                        }.into_any(),
                    }
                }).collect_view()}
            </svg>
            {(hidden > 0).then(|| view! { <p class="empty">{format!("{hidden} more related entities are listed below.")}</p> })}
        </section>
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_labels_are_clipped() {
        assert_eq!(super::clip("abcdef", 4), "abc…");
        assert_eq!(super::clip("abc", 4), "abc");
    }
}
