//! Render time for one spec (target < 2 ms) and for a batch of 1,000.
//! Run: CARGO_TARGET_DIR=/work/target-render cargo bench -p render --bench render

use criterion::{Criterion, criterion_group, criterion_main};
use render::{RenderOptions, parse_spec, render};

const SPEC: &str = include_str!("../tests/specs/nextjs.yaml");

fn one_spec(c: &mut Criterion) {
    let opts = RenderOptions::default();
    c.bench_function("parse + render + policies, one spec", |b| {
        b.iter(|| render(&parse_spec(std::hint::black_box(SPEC)).unwrap(), &opts).unwrap())
    });
}

fn batch(c: &mut Criterion) {
    let opts = RenderOptions::default();
    let specs: Vec<String> = (0..1000)
        .map(|i| SPEC.replace("my-web-app", &format!("app-{i}")))
        .collect();
    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.bench_function("1000 specs", |b| {
        b.iter(|| {
            for yaml in &specs {
                render(&parse_spec(yaml).unwrap(), &opts).unwrap();
            }
        })
    });
    group.finish();
}

criterion_group!(benches, one_spec, batch);
criterion_main!(benches);
