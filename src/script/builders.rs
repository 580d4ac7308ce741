//! Image builders: `docker` and `podman` (`build`, `buildx build`, `push`,
//! `tag`).

use crate::script::args::{has_flag, parse_args, positionals, values};
use crate::script::shell::Word;
use crate::script::{ImageRef, ScriptFacts};

const DOCKER_VALUE_FLAGS: &[&str] = &[
    // global
    "--config",
    "-c",
    "--context",
    "-H",
    "--host",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    // build / push
    "-t",
    "--tag",
    "-f",
    "--file",
    "--build-arg",
    "--platform",
    "--target",
    "--label",
    "--cache-from",
    "--cache-to",
    "--secret",
    "--ssh",
    "-o",
    "--output",
    "--network",
    "--progress",
    "--builder",
    "--iidfile",
    "--metadata-file",
    "--add-host",
    "--build-context",
    "--shm-size",
    "--ulimit",
    "-m",
    "--memory",
    "--memory-swap",
    "--cgroup-parent",
    "--annotation",
    "--attest",
    "--allow",
    "--cpu-shares",
    "--cpu-period",
    "--cpu-quota",
    "--cpuset-cpus",
    "--cpuset-mems",
    "--isolation",
    "--security-opt",
    "--label-file",
    "--format",
    "--authfile",
    "--creds",
    "--cert-dir",
    "--digestfile",
    "--sign-by",
    "--call",
];

pub(super) fn docker(args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, DOCKER_VALUE_FLAGS);
    let pos = positionals(&parsed);
    let texts: Vec<&str> = pos.iter().take(2).map(|w| w.text.as_str()).collect();
    let (verb, operands) = match texts.as_slice() {
        ["image" | "builder", verb, ..] => (*verb, pos.get(2..).unwrap_or(&[])),
        ["buildx", "build" | "b", ..] => ("build", pos.get(2..).unwrap_or(&[])),
        [verb, ..] => (*verb, pos.get(1..).unwrap_or(&[])),
        [] => return,
    };
    match verb {
        "build" => {
            let push = has_flag(&parsed, &["--push"])
                || values(&parsed, &["-o", "--output"])
                    .any(|v| v.text.contains("type=registry") || v.text.contains("push=true"));
            for v in values(&parsed, &["-t", "--tag"]) {
                let image = ImageRef {
                    value: v.text.to_string(),
                    range: v.range.clone(),
                };
                if push {
                    f.pushes.push(image);
                } else {
                    f.builds.push(image);
                }
            }
        }
        "push" => {
            if let Some(r) = operands.first() {
                f.pushes.push(ImageRef {
                    value: r.text.clone(),
                    range: r.range.clone(),
                });
            }
        }
        "tag" => {
            if let Some(dst) = operands.get(1) {
                f.builds.push(ImageRef {
                    value: dst.text.clone(),
                    range: dst.range.clone(),
                });
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::script::analyze;
    use crate::script::test_util::values_of;

    #[test]
    fn images() {
        let f = analyze("docker build -t a:1 --tag b:2 --tag=c:3 -f Dockerfile --build-arg X=1 .");
        assert_eq!(values_of(&f.builds), vec!["a:1", "b:2", "c:3"]);
        assert!(f.pushes.is_empty());
        let f = analyze("docker buildx build --platform linux/amd64 --push -t r/x:1 .");
        assert_eq!(values_of(&f.pushes), vec!["r/x:1"]);
        let f = analyze("docker buildx build --output type=registry -t r/x:1 .\ndocker buildx build -o type=image,push=true -t r/y:1 .\ndocker build --push -t r/z .");
        assert_eq!(values_of(&f.pushes), vec!["r/x:1", "r/y:1", "r/z"]);
        let f = analyze("docker buildx build --load -t r/x:1 .");
        assert_eq!(values_of(&f.builds), vec!["r/x:1"]);
        let f = analyze("docker image push r/x:1\ndocker push --all-tags r/y\npodman push r/z:2\ndocker --config /tmp/c push r/w");
        assert_eq!(values_of(&f.pushes), vec!["r/x:1", "r/y", "r/z:2", "r/w"]);
        let f = analyze(
            "docker tag local:1 r/x:${{ github.sha }}\ndocker image tag a b\npodman build -t p:1 .",
        );
        assert_eq!(
            values_of(&f.builds),
            vec!["r/x:${{ github.sha }}", "b", "p:1"]
        );
        let f =
            analyze("az acr build --registry myacr.azurecr.io --image app:v1 --image app:latest .");
        assert_eq!(
            values_of(&f.pushes),
            vec!["myacr.azurecr.io/app:v1", "myacr.azurecr.io/app:latest"]
        );
        let f = analyze("az acr build -t app:v1 -r ${{ env.ACR }} --no-push .");
        assert_eq!(
            values_of(&f.builds),
            vec!["${{ env.ACR }}.azurecr.io/app:v1"]
        );
        let f = analyze("az acr build --image app:v1 .");
        assert_eq!(values_of(&f.pushes), vec!["app:v1"]);
        assert!(
            analyze("docker compose build\ndocker run -t x\ndocker pull a")
                .builds
                .is_empty()
        );
    }
}
