//! Hot paths, measured with criterion (`cargo bench`): YAML parsing into the
//! span arena against the bare event stream it is built from, image
//! reference parsing, workflow script analysis, and one whole-repository run.
//! Inputs are generated here so the benchmark runs anywhere; docs/benchmarks.md
//! records the numbers next to the whole-corpus runs of bench/run.sh.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn manifest(i: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  namespace: shop\n  labels: {{app: web, tier: \"front\"}}\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      imagePullSecrets:\n        - name: acr\n      containers:\n        - name: web\n          image: contoso.azurecr.io/web:1.{i}.0\n          ports:\n            - containerPort: 8080\n          env:\n            - name: MODE\n              value: \"production\"\n          resources:\n            limits: {{cpu: 500m, memory: 256Mi}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\nspec:\n  selector: {{app: web}}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
    )
}

fn big_stream() -> String {
    (0..500).map(manifest).collect::<Vec<_>>().join("---\n")
}

fn yaml(c: &mut Criterion) {
    let text = big_stream();
    let mut g = c.benchmark_group("yaml");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("saphyr events (floor)", |b| {
        b.iter(|| {
            saphyr_parser::Parser::new_from_str(black_box(&text))
                .take_while(Result::is_ok)
                .count()
        })
    });
    g.bench_function("parse_stream (span arena)", |b| {
        b.iter(|| {
            shipshape::yaml::parse_stream(black_box(&text), &shipshape::yaml::Limits::default())
                .docs
                .len()
        })
    });
    g.bench_function("line index", |b| {
        b.iter(|| shipshape::yaml::LineIndex::new(black_box(&text)).line_count())
    });
    g.finish();
}

fn images(c: &mut Criterion) {
    let refs = [
        "redis",
        "nginx:1.25",
        "contoso.azurecr.io/team/web:1.4.2",
        "localhost:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "contoso.azurecr.io:443/web:${{ github.sha }}",
    ];
    let pattern = shipshape::model::image::HostPattern::new("*.azurecr.io").unwrap();
    c.bench_function("image parse + registry match (5 refs)", |b| {
        b.iter(|| {
            refs.iter()
                .filter_map(|r| shipshape::model::image::parse(black_box(r)).ok())
                .filter(|r| pattern.matches(r))
                .count()
        })
    });
}

fn scripts(c: &mut Criterion) {
    let script = "az acr login -n contoso\ndocker build . -t contoso.azurecr.io/web:${{ github.sha }}\ndocker push contoso.azurecr.io/web:${{ github.sha }}\nsed -i \"s|image: .*|image: contoso.azurecr.io/web:${{ github.sha }}|\" k8s/web.yaml\ngit commit -am \"web ${{ github.sha }}\" && git push\nkubectl apply -f k8s/ --dry-run=client\n"
        .repeat(20);
    let mut g = c.benchmark_group("workflow");
    g.throughput(Throughput::Bytes(script.len() as u64));
    g.bench_function("script analysis", |b| {
        b.iter(|| shipshape::script::analyze(black_box(&script)).pushes.len())
    });
    g.finish();
}

fn whole_run(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..200 {
        std::fs::write(dir.path().join(format!("m{i}.yaml")), manifest(i)).unwrap();
    }
    let opts = shipshape::engine::Options {
        paths: vec![dir.path().to_path_buf()],
        stdin: None,
        threads: 1,
        no_ignore: false,
        config: shipshape::config::Config::default(),
        context: None,
        stats: false,
        follow_outside_links: false,
        diff_base: None,
        cache: None,
    };
    c.bench_function("engine::run, 200 manifests, 1 thread", |b| {
        b.iter(|| shipshape::engine::run(black_box(&opts)).findings.len())
    });
    // The same with a warm results cache: every file's results read back.
    let cache = tempfile::tempdir().unwrap();
    let warm = shipshape::engine::Options {
        cache: Some(shipshape::engine::cache::CacheDir {
            path: cache.path().to_path_buf(),
            within: None,
        }),
        ..opts
    };
    shipshape::engine::run(&warm);
    c.bench_function("engine::run, 200 manifests, 1 thread, warm cache", |b| {
        b.iter(|| shipshape::engine::run(black_box(&warm)).findings.len())
    });
}

criterion_group!(benches, yaml, images, scripts, whole_run);
criterion_main!(benches);
