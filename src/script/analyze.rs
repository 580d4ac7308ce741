//! The entry point, [`analyze`]: lexes a script, finds the command piping
//! into each command, and dispatches each one by program name to its
//! command family (after the kubeconfig checks that apply to any command).
//! The tests here span families.

use crate::script::builders::docker;
use crate::script::cloud::{az, cloud_kubeconfig, kubelogin};
use crate::script::editors::{awk, kustomize, perl, sed, yq};
use crate::script::git::{gh, git};
use crate::script::helm::helm;
use crate::script::kubeconfig::{
    kubeconfig_assignments, kubeconfig_copy, kubeconfig_redirects, kubeconfig_via_github_env,
};
use crate::script::kubectl::kubectl;
use crate::script::powershell::{powershell_images, powershell_write};
use crate::script::shell::{self, Command};
use crate::script::{EditTool, Hit, ScriptFacts};

/// Extracts the facts of one `run:` script.
pub fn analyze(script: &str) -> ScriptFacts {
    let cmds = shell::commands(script);
    let mut facts = ScriptFacts::default();
    for (i, cmd) in cmds.iter().enumerate() {
        let piped_from = pipe_source(script, cmds.get(..i).unwrap_or(&[]), cmd);
        analyze_command(cmd, piped_from, &mut facts);
    }
    if facts
        .edits
        .iter()
        .any(|e| e.tool == EditTool::PowerShellSetContent)
    {
        let images = powershell_images(script, &cmds);
        for e in facts
            .edits
            .iter_mut()
            .filter(|e| e.tool == EditTool::PowerShellSetContent)
        {
            e.images.clone_from(&images);
        }
    }
    facts
}

/// The command piping into `cmd` (`src | cmd`), among the few before it.
fn pipe_source<'c>(script: &str, before: &'c [Command], cmd: &Command) -> Option<&'c Command> {
    let start = cmd.range().start;
    before.iter().rev().take(8).find(|c| {
        script.get(c.range().end..start).is_some_and(|gap| {
            matches!(gap.trim_matches([' ', '\t', '\\', '\r', '\n']), "|" | "|&")
        })
    })
}

fn analyze_command(cmd: &Command, piped_from: Option<&Command>, f: &mut ScriptFacts) {
    let env_hit = kubeconfig_via_github_env(cmd, piped_from, f);
    if !env_hit {
        kubeconfig_assignments(cmd, f);
    }
    kubeconfig_redirects(cmd, f);
    let (Some(pi), Some(prog)) = (cmd.program_index(), cmd.program()) else {
        return;
    };
    let Some(pw) = cmd.words.get(pi) else { return };
    let prog = prog.strip_suffix(".exe").unwrap_or(prog);
    let args = cmd.args();
    match prog {
        "kubectl" => kubectl(cmd, pw, args, f),
        "helm" => helm(cmd, pw, args, f),
        "az" => az(pw, args, f),
        "kubelogin" => kubelogin(pw, args, f),
        "aws" | "gcloud" | "doctl" => cloud_kubeconfig(prog, pw, args, f),
        "docker" | "podman" => docker(args, f),
        "git" => git(cmd, pw, args, f),
        "gh" => gh(cmd, args, f),
        "sed" | "gsed" => sed(cmd, args, f),
        "perl" => perl(cmd, args, f),
        "yq" => yq(cmd, args, f),
        "kustomize" => kustomize(cmd, args, f),
        "awk" | "gawk" => awk(cmd, args, f),
        "cp" | "mv" | "install" | "ln" | "tee" => kubeconfig_copy(prog, pw, args, f),
        "export" | "declare" | "typeset" | "local" | "readonly" => {
            for a in args.iter().filter(|a| a.text.starts_with("KUBECONFIG=")) {
                f.cluster_access.push(Hit {
                    what: format!("{prog} KUBECONFIG"),
                    range: pw.range.start..a.range.end,
                });
            }
        }
        _ => {
            let lower = prog.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "set-content" | "sc" | "out-file" | "add-content" | "ac"
            ) {
                powershell_write(cmd, pw, &lower, args, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::editors::{sed_images, sed_substitutions, yq_images, yq_rhs};
    use crate::script::test_util::{access, files, paths, v, values_of};

    const REFERENCE: &str = r#"az acr login -n ${{ env.ACRNAME }} --expose-token
docker build . -t $ACRSERVER/$APPNAME:${{ github.sha }}
docker push $ACRSERVER/$APPNAME:${{ github.sha }}
kubelogin convert-kubeconfig -l azurecli
kubectl create namespace ${{ inputs.NAMESPACE }} --dry-run=client -o yaml | kubectl apply -f -
yq eval '.spec.template.spec.containers[0].image = "acr6222.azurecr.io/azvoteapp02:${{ github.run_number }}"' -i workloads/azure-vote/front-deployment.yml
az acr build -t $REPOSITORY/$IMAGEREPO:${{ github.sha }} -r $ACRNAME .
git add workloads/flask/deployment.yaml
git commit -m "update image tag"
git push origin
$content | ForEach-Object {$_ -replace $line,"        image: ${{ inputs.ACRNAME }}.azurecr.io/${{ inputs.APPNAME }}:${{ github.run_number }}"} | Set-Content workloads/flask/deployment.yaml"#;

    #[test]
    fn reference_snippets() {
        let s = REFERENCE;
        let f = analyze(s);
        assert_eq!(
            f.cluster_access
                .iter()
                .map(|h| h.what.as_str())
                .collect::<Vec<_>>(),
            vec!["kubelogin convert-kubeconfig", "kubectl apply"]
        );
        assert_eq!(
            &s[f.cluster_access[0].range.clone()],
            "kubelogin convert-kubeconfig"
        );
        assert_eq!(&s[f.cluster_access[1].range.clone()], "kubectl apply");

        assert_eq!(f.deploys.len(), 1);
        assert_eq!(f.deploys[0].tool, "kubectl apply");
        assert!(f.deploys[0].paths.is_empty());
        assert_eq!(&s[f.deploys[0].range.clone()], "kubectl apply -f -");

        assert_eq!(
            values_of(&f.builds),
            vec!["$ACRSERVER/$APPNAME:${{ github.sha }}"]
        );
        assert_eq!(
            &s[f.builds[0].range.clone()],
            "$ACRSERVER/$APPNAME:${{ github.sha }}"
        );
        assert_eq!(
            values_of(&f.pushes),
            vec![
                "$ACRSERVER/$APPNAME:${{ github.sha }}",
                "$ACRNAME.azurecr.io/$REPOSITORY/$IMAGEREPO:${{ github.sha }}"
            ]
        );
        assert_eq!(
            &s[f.pushes[1].range.clone()],
            "$REPOSITORY/$IMAGEREPO:${{ github.sha }}"
        );

        assert_eq!(f.edits.len(), 2);
        assert_eq!(f.edits[0].tool, EditTool::Yq);
        assert_eq!(
            files(&f.edits[0]),
            vec!["workloads/azure-vote/front-deployment.yml"]
        );
        assert_eq!(
            f.edits[0].images,
            v(&["acr6222.azurecr.io/azvoteapp02:${{ github.run_number }}"])
        );
        assert_eq!(f.edits[1].tool, EditTool::PowerShellSetContent);
        assert_eq!(files(&f.edits[1]), vec!["workloads/flask/deployment.yaml"]);
        assert_eq!(
            f.edits[1].images,
            v(&["${{ inputs.ACRNAME }}.azurecr.io/${{ inputs.APPNAME }}:${{ github.run_number }}"])
        );
        assert_eq!(
            &s[f.edits[1].files[0].range.clone()],
            "workloads/flask/deployment.yaml"
        );

        assert_eq!(
            f.commits
                .iter()
                .map(|h| h.what.as_str())
                .collect::<Vec<_>>(),
            vec!["git commit", "git push"]
        );
        assert!(f.pull_secrets.is_empty());

        // Line by line too.
        for line in s.lines() {
            let _ = analyze(line);
        }
        assert!(
            analyze("az acr login -n ${{ env.ACRNAME }} --expose-token") == ScriptFacts::default()
        );
    }

    #[test]
    fn data_is_not_a_command() {
        for s in [
            r#"echo "run kubectl apply later""#,
            "echo 'helm upgrade --install x ./c' # kubectl apply -f y",
            "# kubectl apply -f x\n# az aks get-credentials -n a -g b",
            "cat <<EOF > deploy.sh\nkubectl apply -f x\naz aks get-credentials -n a -g b\nEOF",
            "cat <<'EOF' | tee notes.md\nhelm install a ./b\nEOF\necho ok",
            r#"echo "KUBECONFIG=/tmp/x""#,
            r#"gh pr create --body "kubectl apply -f $(ls)""#,
            "az acr login -n x\naz acr build -r x -t y . --no-logs && az acr import -n x --source y",
            "kustomize build overlays/prod > out.yaml\nkustomize edit add resource x.yaml",
            "helm template x ./chart | kubeconform -strict\nhelm lint ./chart\nhelm package ./chart\nhelm repo add a b\nhelm dependency update ./c\nhelm push c.tgz oci://r\nhelm show values x",
            "yq '.a' x.yaml\nyq e '.image' k.yaml",
            "mkdir -p ~/.kube && chmod 600 ~/.kube",
            "kubectl kustomize overlays/prod\nkubectl version --client\nkubectl completion bash\nkubectl config view\nkubectl config get-contexts\nkubectl plugin list\nkubectl help\nkubectl apply --help",
            "kubectl apply -f x.yaml --dry-run\nkubectl apply -f x.yaml --dry-run=client\nkubectl create deploy x --image=y --dry-run=client -o yaml",
            "helm upgrade --install x ./c --dry-run",
            "which kubectl\ncommand -v helm",
        ] {
            assert_eq!(access(s), Vec::<String>::new(), "{s}");
            assert!(analyze(s).deploys.is_empty(), "{s}");
        }
    }

    #[test]
    fn deploys() {
        let s = "cd workloads/flask && kubectl apply -f deployment.yaml";
        let f = analyze(s);
        assert_eq!(
            paths(&f.deploys[0]),
            vec!["workloads/flask/deployment.yaml"]
        );
        assert_eq!(&s[f.deploys[0].paths[0].range.clone()], "deployment.yaml");

        let f = analyze("kubectl apply --filename=a.yaml -f=./b.yaml --filename c/ -k overlays/prod --namespace=ns -f d.yaml,e.yaml");
        assert_eq!(
            paths(&f.deploys[0]),
            vec!["a.yaml", "b.yaml", "c", "overlays/prod", "d.yaml", "e.yaml"]
        );
        assert_eq!(f.deploys[0].namespace.as_deref(), Some("ns"));
        let f = analyze(
            "kubectl create -f https://example.com/x.yaml\nkubectl replace --force -f $MANIFEST",
        );
        assert_eq!(paths(&f.deploys[0]), vec!["https://example.com/x.yaml"]);
        assert_eq!(paths(&f.deploys[1]), vec!["$MANIFEST"]);
        assert_eq!(f.deploys[1].tool, "kubectl replace");
        let f = analyze("kubectl apply --kustomize ./k8s/overlays/dev");
        assert_eq!(paths(&f.deploys[0]), vec!["k8s/overlays/dev"]);
        assert!(analyze("kubectl create namespace x").deploys.is_empty());
        let f = analyze("cd k8s; kubectl apply -f <(envsubst < app.yaml) -f /dev/stdin");
        assert!(f.deploys[0].paths.is_empty());
        assert!(analyze("kubectl apply view-last-applied deploy/x")
            .deploys
            .is_empty());

        // Multi-line with continuations.
        let s =
            "kubectl apply \\\n  -n staging \\\n  -f k8s/deployment.yaml \\\n  -f k8s/service.yaml";
        let f = analyze(s);
        assert_eq!(
            paths(&f.deploys[0]),
            vec!["k8s/deployment.yaml", "k8s/service.yaml"]
        );
        assert_eq!(f.deploys[0].namespace.as_deref(), Some("staging"));
        assert_eq!(&s[f.deploys[0].range.clone()], s);
        // Subshell cd does not leak.
        let f = analyze("(cd a && kubectl apply -f x.yaml)\nkubectl apply -f y.yaml");
        assert_eq!(paths(&f.deploys[0]), vec!["a/x.yaml"]);
        assert_eq!(paths(&f.deploys[1]), vec!["y.yaml"]);
    }

    #[test]
    fn never_panics_on_random_scripts() {
        let mut seed = 7;
        for _ in 0..20_000 {
            let _ = analyze(&crate::script::shell::tests::random_script(&mut seed));
        }
    }

    #[test]
    fn never_panics() {
        let samples = [
            REFERENCE,
            "TOKEN=$(az aks get-credentials -n x -g y) && echo `date` $((1+2)) ${X:-\"d\"}",
            "cat <<-'EOF' > f\n\tkubectl apply\n\tEOF\ncd a/b && kubectl apply -f c.yaml \\\n -n ns # comment",
            "case \"$1\" in\n a|b) helm upgrade --install x ./chart -f v.yaml ;;\n *) echo \"no ; way\" ;;\nesac",
            "docker buildx build --push -t r/x:1 . && docker tag a b && az acr build -r r -t i --no-push .",
            "sed -i -e 's|image: .*|image: r/x:1|g' -e \"s/\\(image\\)/\\1/\" f.yaml; perl -pi -e 's{a}{b}' g",
            "yq -i '.a.image |= \"x\" | .b = strenv(Y' f; kustomize edit set image a=b:c",
            "kubectl -n x create secret docker-registry s --namespace=y; helm upgrade -i r ./c -f v.yaml",
            "cp a ~/.kube/; Set-Content -Path: ; echo \"KUBECONFIG=x\" >> $GITHUB_ENV",
        ];
        let inserts = [
            "\"", "'", "`", "\\", "$(", "${{", "=", "-", "é", "\n", "|", "s/",
        ];
        for s in samples {
            let cuts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            for &i in &cuts {
                let _ = analyze(&s[..i]);
                let _ = analyze(&s[i..]);
                for ins in inserts {
                    let _ = analyze(&format!("{}{}{}", &s[..i], ins, &s[i..]));
                }
            }
        }
        for s in [
            "s",
            "s/",
            "s/a",
            "s/a/",
            "s\\",
            "/",
            "\\",
            "1,",
            "$",
            "s§a§image: b§",
            "/x/I,+3 s/a/b/",
            "y/a/b/;s/a/\\",
        ] {
            let _ = sed_substitutions(s);
            let _ = yq_rhs(s);
            let mut out = Vec::new();
            yq_images(s, &mut out);
            sed_images(s, &mut out);
        }
    }
}
