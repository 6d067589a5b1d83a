//! Server-rendered SVG charts. Pages embed the markup as it is, so a chart reads without
//! JavaScript, and every bar and point carries a `<title>`: a tooltip on hover, and the
//! figure itself for a screen reader.
//!
//! The markup has no style attribute and no script, which the CSP forbids: elements carry
//! classes — `chart`, `grid`, `axis`, `bar` beside its series' class, `line`, `point`,
//! `empty` — and `style/` colours them. Only geometry is in attributes (plus `fill="none"`
//! on lines, so that a line never turns into a black shape without the stylesheet).
//! Labels are spaced for chart text of 11 px, which `style/` sets.
//!
//! The same input always gives the same string, so pages can be cached and compared.

const VIEW_BOX: &str = "0 0 640 240";
/// The plot area inside the view box, leaving room for the y tick labels on the left, the
/// unit above and the x labels below.
const PLOT_LEFT: f64 = 56.0;
const PLOT_RIGHT: f64 = 624.0;
const PLOT_TOP: f64 = 24.0;
const PLOT_BOTTOM: f64 = 208.0;
/// More x labels than this are unreadable however short they are.
const MOST_X_LABELS: usize = 12;
/// The width of one character of 11 px text, generously, and the gap between two labels.
const CHARACTER_WIDTH: f64 = 6.5;
const LABEL_GAP: f64 = 8.0;
const NO_DATA: &str = "No data in this period";

/// One series of a bar chart: a value per label.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    /// The CSS class its bars carry, e.g. "ok", "bad".
    pub class: &'static str,
    pub values: Vec<f64>,
}

/// Vertical bars, one per label, each stacking its series' values from the first series
/// up. Negative and non-finite values draw nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    pub title: String,
    pub description: String,
    /// The x labels.
    pub labels: Vec<String>,
    /// Stacked.
    pub series: Vec<Series>,
    pub unit: String,
}

/// One value per label joined by a line; `None` is a gap in it. Values below 0 are drawn
/// at 0, with their true value in the tooltip.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub title: String,
    pub description: String,
    pub labels: Vec<String>,
    pub values: Vec<Option<f64>>,
    pub unit: String,
    /// Prints a value for the y axis and the tooltips, e.g. as a duration.
    pub format: fn(f64) -> String,
}

pub fn bar_chart(chart: &BarChart) -> String {
    let slots = chart.labels.len();
    let value_at = |series: &Series, slot: usize| drawable(series.values.get(slot).copied());
    let totals: Vec<f64> = (0..slots)
        .map(|slot| {
            chart
                .series
                .iter()
                .map(|series| value_at(series, slot))
                .sum()
        })
        .collect();
    let highest = totals.iter().copied().fold(0.0, f64::max);
    let whole = chart
        .series
        .iter()
        .all(|series| (0..slots).all(|slot| value_at(series, slot).fract() == 0.0));
    let ticks = nice_ticks(highest, whole);
    let frame = Frame::new(slots, &ticks);

    let mut svg = open_svg(&chart.title, &chart.description);
    frame.draw_axes(&mut svg, &ticks, tick_text, &chart.labels, &chart.unit);
    if highest == 0.0 {
        frame.draw_no_data(&mut svg);
    } else {
        let width = frame.slot_width() * 0.7;
        svg.push_str(r#"<g class="bars">"#);
        for (slot, label) in chart.labels.iter().enumerate() {
            let x = frame.centre(slot) - width / 2.0;
            let mut below = 0.0;
            for series in &chart.series {
                let value = value_at(series, slot);
                if value == 0.0 {
                    continue;
                }
                // Both edges are rounded before subtracting, so the printed heights of a
                // stack add up to its printed total.
                let bottom = round_to_tenth(frame.y(below));
                let top = round_to_tenth(frame.y(below + value));
                below += value;
                svg.push_str(&format!(
                    r#"<rect class="bar {}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
                    escape(series.class),
                    one_decimal(x),
                    one_decimal(top),
                    one_decimal(width),
                    one_decimal(bottom - top),
                    escape(&tooltip(label, Some(&series.name), &value.to_string(), &chart.unit)),
                ));
            }
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

pub fn line_chart(chart: &LineChart) -> String {
    let slots = chart.labels.len();
    let values: Vec<Option<f64>> = (0..slots)
        .map(|slot| {
            chart
                .values
                .get(slot)
                .copied()
                .flatten()
                .filter(|value| value.is_finite())
        })
        .collect();
    let highest = values.iter().flatten().copied().fold(0.0, f64::max);
    let whole = values.iter().flatten().all(|value| value.fract() == 0.0);
    let ticks = nice_ticks(highest, whole);
    let frame = Frame::new(slots, &ticks);

    let mut svg = open_svg(&chart.title, &chart.description);
    frame.draw_axes(&mut svg, &ticks, chart.format, &chart.labels, &chart.unit);
    if values.iter().all(Option::is_none) {
        frame.draw_no_data(&mut svg);
    } else {
        // A gap lifts the pen: the next value starts a new piece of the line.
        let mut path = Vec::new();
        let mut pen_down = false;
        for (slot, value) in values.iter().enumerate() {
            match value {
                Some(value) => {
                    let command = if pen_down { "L" } else { "M" };
                    path.push(format!(
                        "{command}{} {}",
                        one_decimal(frame.centre(slot)),
                        one_decimal(frame.y(*value))
                    ));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        svg.push_str(&format!(
            r#"<path class="line" fill="none" d="{}"/>"#,
            path.join(" ")
        ));
        svg.push_str(r#"<g class="points">"#);
        for (slot, (label, value)) in chart.labels.iter().zip(&values).enumerate() {
            let Some(value) = value else { continue };
            svg.push_str(&format!(
                r#"<circle class="point" cx="{}" cy="{}" r="3"><title>{}</title></circle>"#,
                one_decimal(frame.centre(slot)),
                one_decimal(frame.y(*value)),
                escape(&tooltip(label, None, &(chart.format)(*value), &chart.unit)),
            ));
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// The `<svg>` element up to its title and description, which name the chart to screen
/// readers through `aria-labelledby`.
fn open_svg(title: &str, description: &str) -> String {
    let id = chart_id(title);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="{VIEW_BOX}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(description)
    )
}

/// An id unique among the charts of a page: a slug of the title for people reading the
/// markup, and a hash of the title so that titles with the same slug differ.
fn chart_id(title: &str) -> String {
    let mut slug = String::new();
    for character in title.chars().flat_map(char::to_lowercase) {
        if character.is_ascii_alphanumeric() {
            slug.push(character);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 32 {
            break;
        }
    }
    let hash = fnv1a(title);
    match slug.trim_end_matches('-') {
        "" => format!("chart-{hash:08x}"),
        slug => format!("chart-{slug}-{hash:08x}"),
    }
}

/// FNV-1a, written out rather than std's hasher, whose output may change between Rust
/// releases: ids must stay the same for the same title.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

fn tooltip(label: &str, series: Option<&str>, value: &str, unit: &str) -> String {
    let mut text = match series {
        Some(series) => format!("{label} · {series}: {value}"),
        None => format!("{label}: {value}"),
    };
    if !unit.is_empty() {
        text.push(' ');
        text.push_str(unit);
    }
    text
}

/// Where things go in the plot area, for a number of x slots and the y ticks.
struct Frame {
    slots: usize,
    /// The highest tick: values up to it fill the plot's height.
    top: f64,
}

impl Frame {
    fn new(slots: usize, ticks: &[f64]) -> Frame {
        Frame {
            slots,
            top: ticks.last().copied().unwrap_or(1.0),
        }
    }

    fn slot_width(&self) -> f64 {
        (PLOT_RIGHT - PLOT_LEFT) / self.slots.max(1) as f64
    }

    fn centre(&self, slot: usize) -> f64 {
        PLOT_LEFT + (slot as f64 + 0.5) * self.slot_width()
    }

    /// Values outside the axis are drawn on its ends rather than outside the chart.
    fn y(&self, value: f64) -> f64 {
        PLOT_BOTTOM - value.clamp(0.0, self.top) / self.top * (PLOT_BOTTOM - PLOT_TOP)
    }

    fn draw_axes(
        &self,
        svg: &mut String,
        ticks: &[f64],
        tick_label: fn(f64) -> String,
        labels: &[String],
        unit: &str,
    ) {
        let (left, right) = (one_decimal(PLOT_LEFT), one_decimal(PLOT_RIGHT));
        svg.push_str(r#"<g class="grid">"#);
        for tick in ticks.iter().skip(1) {
            let y = one_decimal(self.y(*tick));
            svg.push_str(&format!(
                r#"<line x1="{left}" y1="{y}" x2="{right}" y2="{y}"/>"#
            ));
        }
        svg.push_str("</g>");

        let (top, bottom) = (one_decimal(PLOT_TOP), one_decimal(PLOT_BOTTOM));
        svg.push_str(&format!(
            r#"<g class="axis"><line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}"/><line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>"#
        ));
        for tick in ticks {
            svg.push_str(&format!(
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                one_decimal(PLOT_LEFT - 6.0),
                one_decimal(self.y(*tick) + 4.0),
                escape(&tick_label(*tick))
            ));
        }
        if !unit.is_empty() {
            svg.push_str(&format!(
                r#"<text x="4" y="{}">{}</text>"#,
                one_decimal(PLOT_TOP - 10.0),
                escape(unit)
            ));
        }
        let step = self.x_label_step(labels);
        for (slot, label) in labels.iter().enumerate().step_by(step) {
            svg.push_str(&format!(
                r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
                one_decimal(self.centre(slot)),
                one_decimal(PLOT_BOTTOM + 18.0),
                escape(label)
            ));
        }
        svg.push_str("</g>");
    }

    /// Every how many slots an x label is shown: often enough that the widest label fits
    /// between two shown ones, and at most [`MOST_X_LABELS`] of them.
    fn x_label_step(&self, labels: &[String]) -> usize {
        let widest = labels
            .iter()
            .map(|label| label.chars().count())
            .max()
            .unwrap_or(0);
        let width = widest as f64 * CHARACTER_WIDTH + LABEL_GAP;
        let to_fit = (width / self.slot_width()).ceil() as usize;
        let to_count = labels.len().div_ceil(MOST_X_LABELS);
        to_fit.max(to_count).max(1)
    }

    fn draw_no_data(&self, svg: &mut String) {
        svg.push_str(&format!(
            r#"<text class="empty" x="{}" y="{}" text-anchor="middle">{NO_DATA}</text>"#,
            one_decimal((PLOT_LEFT + PLOT_RIGHT) / 2.0),
            one_decimal((PLOT_TOP + PLOT_BOTTOM) / 2.0 + 4.0)
        ));
    }
}

/// A bar's value as it can be drawn: missing, negative and non-finite values are 0.
fn drawable(value: Option<f64>) -> f64 {
    match value {
        Some(value) if value.is_finite() && value > 0.0 => value,
        _ => 0.0,
    }
}

/// Three to five ticks from 0, a round step apart (1, 2 or 5 × 10ⁿ), the last at or above
/// `highest`: the smallest such step, so the data fill as much of the height as they can.
/// With `whole` values (counts) the step is at least 1: there is no half a deployment.
/// Without data (`highest` 0) the axis goes to 1.
fn nice_ticks(highest: f64, whole: bool) -> Vec<f64> {
    let highest = if highest.is_finite() && highest > 0.0 {
        highest
    } else {
        1.0
    };
    // A step of 10ⁿ⁻¹ below `highest`'s order of magnitude always needs more than four
    // steps; 5 × 10ⁿ at it never does, so the loop ends within two rounds.
    let mut exponent = highest.log10().floor() as i32 - 1;
    loop {
        for mantissa in [1, 2, 5] {
            let step = nice_number(mantissa, exponent);
            if whole && step < 1.0 {
                continue;
            }
            // The small allowance keeps a computed 0.1 + 0.2 = 0.30000000000000004 at three
            // steps of 0.1 rather than four.
            let steps = ((highest / step) - 1e-9).ceil().max(2.0);
            if steps <= 4.0 {
                return (0..=steps as i64)
                    .map(|i| nice_number(i * mantissa, exponent))
                    .collect();
            }
        }
        exponent += 1;
    }
}

/// `multiple` × 10^`exponent`, computed so that 3 × 10⁻¹ is 0.3 and not 0.30000000000000004.
fn nice_number(multiple: i64, exponent: i32) -> f64 {
    if exponent >= 0 {
        multiple as f64 * 10f64.powi(exponent)
    } else {
        multiple as f64 / 10f64.powi(-exponent)
    }
}

/// A y tick of a bar chart: as many decimals as it has (a tick of 0.05 is not "0.1").
fn tick_text(tick: f64) -> String {
    let text = format!("{tick:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

fn round_to_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// A number with at most one decimal, without a trailing ".0": coordinates and figures
/// stay short. Never "NaN" or "inf", which would break the markup; never "-0".
pub(crate) fn one_decimal(value: f64) -> String {
    if !value.is_finite() {
        return "0".to_string();
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Text and attribute values for XML (and HTML): the five characters that could end an
/// attribute or start markup.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(character),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the markup is well-formed XML as far as these charts go: tags balance, one
    /// root, attribute values are quoted, and `&` only starts the entities `escape` writes.
    fn assert_well_formed(svg: &str) {
        let mut open: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = svg;
        while !rest.is_empty() {
            let text_end = rest.find('<').unwrap_or(rest.len());
            assert_text_is_escaped(&rest[..text_end]);
            rest = &rest[text_end..];
            if rest.is_empty() {
                break;
            }
            let tag_end = rest.find('>').expect("a tag is closed");
            let tag = &rest[1..tag_end];
            rest = &rest[tag_end + 1..];
            assert!(!tag.contains('<'), "< inside the tag {tag}");
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in {tag}"
            );
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "</{name}> closes another element");
                continue;
            }
            let name = tag.split([' ', '/']).next().unwrap();
            assert!(!name.is_empty(), "a tag without a name: <{tag}>");
            if open.is_empty() {
                roots += 1;
            }
            for attribute in attributes(tag) {
                assert_text_is_escaped(attribute.1);
            }
            if !tag.ends_with('/') {
                open.push(name);
            }
        }
        assert!(open.is_empty(), "left open: {open:?}");
        assert_eq!(roots, 1, "one root element");
    }

    fn assert_text_is_escaped(text: &str) {
        assert!(!text.contains('>'), "a raw > in {text}");
        for (at, _) in text.match_indices('&') {
            let entity = &text[at..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|known| entity.starts_with(known)),
                "a raw & in {text}"
            );
        }
    }

    /// The `name="value"` pairs of a tag's inside.
    fn attributes(tag: &str) -> Vec<(&str, &str)> {
        let mut pairs = Vec::new();
        let mut rest = tag;
        while let Some(equals) = rest.find("=\"") {
            let name = rest[..equals].rsplit(' ').next().unwrap();
            let value_start = equals + 2;
            let value_end = value_start + rest[value_start..].find('"').unwrap();
            pairs.push((name, &rest[value_start..value_end]));
            rest = &rest[value_end + 1..];
        }
        pairs
    }

    /// The insides of every `<name …>` tag.
    fn tags<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
        let opening = format!("<{name} ");
        svg.match_indices(&opening)
            .map(|(at, _)| {
                let inside = &svg[at + 1..];
                &inside[..inside.find('>').unwrap()]
            })
            .collect()
    }

    fn number(tag: &str, name: &str) -> f64 {
        let (_, value) = attributes(tag)
            .into_iter()
            .find(|(attribute, _)| *attribute == name)
            .unwrap_or_else(|| panic!("no {name} in {tag}"));
        value.parse().unwrap()
    }

    fn weekly_deployments() -> BarChart {
        BarChart {
            title: "Deployments per week".to_string(),
            description: "Successful and failed deployments".to_string(),
            labels: vec!["4 Mar".into(), "11 Mar".into(), "18 Mar".into()],
            series: vec![
                Series {
                    name: "Succeeded".to_string(),
                    class: "ok",
                    values: vec![3.0, 5.0, 7.0],
                },
                Series {
                    name: "Failed".to_string(),
                    class: "bad",
                    values: vec![2.0, 0.0, 1.0],
                },
            ],
            unit: "deployments".to_string(),
        }
    }

    fn lead_times(values: Vec<Option<f64>>) -> LineChart {
        LineChart {
            title: "Lead time".to_string(),
            description: "Median lead time per week".to_string(),
            labels: (1..=values.len()).map(|week| format!("W{week}")).collect(),
            values,
            unit: String::new(),
            format: |seconds| crate::dora::human_duration(seconds as i64),
        }
    }

    #[test]
    fn a_hostile_title_appears_only_escaped() {
        let hostile = r#"<script>alert("x")</script> & 'quotes'"#;
        let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;";
        let mut bars = weekly_deployments();
        bars.title = hostile.to_string();
        bars.description = hostile.to_string();
        bars.labels[0] = hostile.to_string();
        bars.series[0].name = hostile.to_string();
        bars.unit = hostile.to_string();
        let mut line = lead_times(vec![Some(60.0)]);
        line.title = hostile.to_string();
        line.labels[0] = hostile.to_string();
        line.unit = hostile.to_string();
        for svg in [bar_chart(&bars), line_chart(&line)] {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains(r#""x""#), "{svg}");
            assert!(!svg.contains("'quotes'"), "{svg}");
            assert!(svg.contains(&format!("<title id=\"chart-script-alert-x-script-quotes-{:08x}-title\">{escaped}</title>", fnv1a(hostile))), "{svg}");
            assert_well_formed(&svg);
        }
    }

    #[test]
    fn ticks_are_round_and_start_at_zero() {
        assert_eq!(nice_ticks(0.0, false), [0.0, 0.5, 1.0]);
        assert_eq!(nice_ticks(0.3, false), [0.0, 0.1, 0.2, 0.3]);
        assert_eq!(nice_ticks(0.1 + 0.2, false), [0.0, 0.1, 0.2, 0.3]);
        assert_eq!(nice_ticks(7.0, false), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(nice_ticks(95.0, false), [0.0, 50.0, 100.0]);
        assert_eq!(nice_ticks(1234.0, false), [0.0, 500.0, 1000.0, 1500.0]);
        assert_eq!(nice_ticks(0.12, false), [0.0, 0.05, 0.1, 0.15]);
        assert_eq!(nice_ticks(f64::NAN, false), [0.0, 0.5, 1.0]);
        // Counts never get half a tick.
        assert_eq!(nice_ticks(0.0, true), [0.0, 1.0, 2.0]);
        assert_eq!(nice_ticks(2.0, true), [0.0, 1.0, 2.0]);
        assert_eq!(nice_ticks(7.0, true), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(tick_text(0.05), "0.05");
        assert_eq!(tick_text(1500.0), "1500");
    }

    #[test]
    fn empty_and_zero_data_say_so_without_nan() {
        let mut no_labels = weekly_deployments();
        no_labels.labels.clear();
        let mut all_zero = weekly_deployments();
        for series in &mut all_zero.series {
            series.values = vec![0.0, -1.0, f64::NAN];
        }
        let mut no_series = weekly_deployments();
        no_series.series.clear();
        let charts = [
            bar_chart(&no_labels),
            bar_chart(&all_zero),
            bar_chart(&no_series),
            line_chart(&lead_times(vec![])),
            line_chart(&lead_times(vec![None, None, Some(f64::INFINITY)])),
        ];
        for svg in charts {
            assert!(svg.contains(NO_DATA), "{svg}");
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            assert!(!svg.contains("<rect") && !svg.contains("<circle"), "{svg}");
            assert!(svg.contains(r#"<g class="axis">"#), "{svg}");
            assert_well_formed(&svg);
        }
        // A line of zeros is data: no failure at all is worth drawing.
        let zeros = line_chart(&lead_times(vec![Some(0.0), Some(0.0)]));
        assert!(!zeros.contains(NO_DATA));
        assert_eq!(tags(&zeros, "circle").len(), 2);
    }

    #[test]
    fn stacked_bars_add_up() {
        let mut chart = weekly_deployments();
        // Values that do not fall on whole tenths of the plot.
        chart.series[0].values = vec![3.0, 5.0, 6.3];
        chart.series[1].values = vec![2.0, 0.0, 1.1];
        let svg = bar_chart(&chart);
        let rects = tags(&svg, "rect");
        // 3 + 2, 5 (its 0 is not drawn), 6.3 + 1.1.
        assert_eq!(rects.len(), 5);
        // Ticks go to 8: 184 units of height for 8, so 23 a unit.
        let unit = (PLOT_BOTTOM - PLOT_TOP) / 8.0;
        let stacks = [(0..2, 5.0), (2..3, 5.0), (3..5, 7.4)];
        for (members, total) in stacks {
            let members = &rects[members];
            let heights: f64 = members.iter().map(|rect| number(rect, "height")).sum();
            assert!(
                (heights - total * unit).abs() < 0.051,
                "{heights} for {total}"
            );
            // Each segment sits on the one below, the first on the axis.
            let mut bottom = PLOT_BOTTOM;
            for rect in members {
                let top = number(rect, "y");
                assert!(
                    (top + number(rect, "height") - bottom).abs() < 1e-9,
                    "{rect}"
                );
                bottom = top;
            }
        }
        assert!(rects[0].starts_with(r#"rect class="bar ok""#));
        assert!(rects[1].starts_with(r#"rect class="bar bad""#));
        assert!(svg.contains("<title>18 Mar · Succeeded: 6.3 deployments</title>"));
        assert!(svg.contains("<title>18 Mar · Failed: 1.1 deployments</title>"));
        assert_well_formed(&svg);
    }

    #[test]
    fn charts_are_well_formed_and_named_for_screen_readers() {
        let bars = bar_chart(&weekly_deployments());
        let line = line_chart(&lead_times(vec![Some(3_600.0), None, Some(7_200.0)]));
        for svg in [&bars, &line] {
            assert_well_formed(svg);
            let root = tags(svg, "svg")[0];
            for (attribute, value) in [
                ("viewBox", "0 0 640 240"),
                ("width", "100%"),
                ("role", "img"),
            ] {
                assert!(attributes(root).contains(&(attribute, value)), "{root}");
            }
            let labelled_by = attributes(root)
                .into_iter()
                .find(|(name, _)| *name == "aria-labelledby")
                .unwrap()
                .1;
            let ids: Vec<&str> = labelled_by.split(' ').collect();
            assert!(svg.contains(&format!("<title id=\"{}\">", ids[0])));
            assert!(svg.contains(&format!("<desc id=\"{}\">", ids[1])));
            assert!(!svg.contains("style") && !svg.contains("script"), "{svg}");
        }
        assert!(bars.contains("<title>4 Mar · Succeeded: 3 deployments</title>"));
        // The y axis of the bars: 0 to 8 by 2.
        assert!(bars.contains(r#"text-anchor="end">8</text>"#));
        assert!(line.contains("<title>W1: 1 h</title>"));
        assert!(line.contains("<title>W3: 2 h</title>"));
    }

    #[test]
    fn a_gap_lifts_the_pen() {
        let svg = line_chart(&lead_times(vec![
            Some(1.0),
            Some(2.0),
            None,
            Some(3.0),
            Some(4.0),
        ]));
        let path = tags(&svg, "path")[0];
        let d = attributes(path)
            .into_iter()
            .find(|(name, _)| *name == "d")
            .unwrap()
            .1;
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 2, "{d}");
        assert_eq!(tags(&svg, "circle").len(), 4);
    }

    #[test]
    fn x_labels_are_thinned_so_they_never_overlap() {
        let mut chart = weekly_deployments();
        // A year of weeks, labelled by their Mondays.
        chart.labels = (0..53)
            .map(|week| format!("2024-{:02}-{:02}", 1 + week / 4, 1 + week % 4 * 7))
            .collect();
        for series in &mut chart.series {
            series.values = vec![1.0; 53];
        }
        let svg = bar_chart(&chart);
        let x_labels: Vec<f64> = tags(&svg, "text")
            .into_iter()
            .filter(|text| text.contains(r#"text-anchor="middle""#))
            .map(|text| number(text, "x"))
            .collect();
        assert!(
            x_labels.len() > 1 && x_labels.len() <= MOST_X_LABELS,
            "{x_labels:?}"
        );
        let widest = "2024-01-01".len() as f64 * CHARACTER_WIDTH;
        for pair in x_labels.windows(2) {
            assert!(pair[1] - pair[0] >= widest, "{pair:?}");
        }

        // Short labels, few of them: every one is shown.
        let svg = bar_chart(&weekly_deployments());
        assert!(svg.contains(">4 Mar<") && svg.contains(">11 Mar<") && svg.contains(">18 Mar<"));
    }

    #[test]
    fn ids_differ_for_titles_with_the_same_slug_and_output_is_stable() {
        assert_eq!(chart_id("Lead time"), chart_id("Lead time"));
        assert_ne!(chart_id("Lead time (p50)"), chart_id("Lead time p50"));
        assert!(chart_id("Lead time (p50)").starts_with("chart-lead-time-p50-"));
        assert_eq!(chart_id("«»"), format!("chart-{:08x}", fnv1a("«»")));
        assert_eq!(
            bar_chart(&weekly_deployments()),
            bar_chart(&weekly_deployments())
        );
    }

    #[test]
    fn numbers_have_at_most_one_decimal() {
        assert_eq!(one_decimal(12.0), "12");
        assert_eq!(one_decimal(12.345), "12.3");
        assert_eq!(one_decimal(-0.01), "0");
        assert_eq!(one_decimal(f64::NAN), "0");
        let svg = bar_chart(&weekly_deployments());
        for tag in tags(&svg, "rect") {
            for (_, value) in attributes(tag).into_iter().skip(1) {
                let decimals = value.split('.').nth(1).map_or(0, str::len);
                assert!(decimals <= 1, "{tag}");
            }
        }
    }
}
