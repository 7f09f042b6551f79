using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>The published kustomize directories render with kubectl, validate offline against the Kubernetes schemas, and are deterministic.</summary>
public class KubernetesRenderTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private const string GoldenCommand = "UPDATE_K8S_GOLDEN=1 dotnet test Tests --filter FullyQualifiedName~KubernetesRenderTests.The_rendered_production_overlay";
    private static readonly string Golden = Path.Combine(Publisher.RepoRoot, "Tests", "Hosting", "Kubernetes", "golden", "production.yaml");

    [Fact]
    public async Task Kubectl_is_installed_with_the_kustomize_version_the_golden_file_was_rendered_with()
    {
        var (exit, output) = await Publisher.ExecAsync(Manifests.Kubectl(), ["version", "--client"], Publisher.RepoRoot);
        Assert.Equal(0, exit);
        Assert.True(output.Contains($"Kustomize Version: {Manifests.KustomizeVersion}", StringComparison.Ordinal),
            $"Tests/Hosting/Kubernetes/golden/production.yaml was rendered with kustomize {Manifests.KustomizeVersion}; kubectl says: {output.Trim()}");
    }

    [Fact]
    public void Every_overlay_renders_with_kubectl_kustomize_into_the_workloads_of_its_environment()
    {
        Assert.Equal(["api", "app", "postgres", "redis", "scheduler"], Workloads("production"));
        Assert.Equal(["api", "app", "postgres", "redis", "scheduler"], Workloads("development"));
        Assert.Equal(["api", "app", "postgres", "redis", "scheduler", "test-runner"], Workloads("testing"));
        foreach (var (overlay, objects) in manifests.Objects) // kustomize images: replaced every build placeholder with name:tag
        {
            Assert.All(objects.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet" or "Job").SelectMany(w => w.Containers()),
                c => Assert.True(((string)c["image"]).Contains(':', StringComparison.Ordinal), $"{overlay}: image {c["image"]} has no tag"));
        }
    }

    private string[] Workloads(string overlay) => [.. manifests.Objects[overlay]
        .Where(d => (string)d["kind"] is "Deployment" or "StatefulSet" or "Job").Select(d => (string)d.At("metadata", "name")!).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Every_rendered_object_validates_against_the_kubernetes_openapi_schemas()
    {
        foreach (var overlay in Manifests.Overlays)
        {
            var (exit, output) = await Manifests.ValidateAsync(manifests.Rendered[overlay]);
            Assert.True(exit == 0, $"overlays/{overlay}: {output}");
            Assert.Contains($"{manifests.Objects[overlay].Count} objects, 0 invalid", output);
        }
    }

    [Fact]
    public async Task An_invalid_object_is_caught_by_the_schema_validation_with_its_name_and_field()
    {
        var broken = manifests.Rendered["production"].Replace("replicas: 2", "replicas: two", StringComparison.Ordinal)
            .Replace("containerPort: 5432", "containerPort: {}", StringComparison.Ordinal);
        var (exit, output) = await Manifests.ValidateAsync(broken);
        Assert.NotEqual(0, exit);
        Assert.Contains("Deployment/app: data/spec/replicas must be integer", output);
        Assert.Contains("StatefulSet/postgres:", output);
        Assert.Contains("2 invalid", output);
    }

    [Fact]
    public async Task The_rendered_production_overlay_matches_the_golden_file()
    {
        if (Environment.GetEnvironmentVariable("UPDATE_K8S_GOLDEN") == "1") await File.WriteAllTextAsync(Golden, manifests.Rendered["production"]);
        Assert.True(File.Exists(Golden), $"Tests/Hosting/Kubernetes/golden/production.yaml is missing; regenerate it: {GoldenCommand}");
        Assert.True(await File.ReadAllTextAsync(Golden) == manifests.Rendered["production"],
            $"Tests/Hosting/Kubernetes/golden/production.yaml differs from the rendered production overlay; review the diff and regenerate: {GoldenCommand}");
    }

    [Fact]
    public async Task Publishing_twice_writes_byte_identical_manifests_and_keeps_the_deployers_secrets_env()
    {
        var second = await Manifests.WriteAsync(Program.Ichrisbirch);
        var third = await Manifests.WriteAsync(Program.Ichrisbirch);
        try
        {
            var files = Files(Path.Combine(second, "k8s"));
            Assert.Equal(files, Files(manifests.K8s).Where(f => !f.EndsWith("secrets.env", StringComparison.Ordinal)));
            Assert.Equal(files, Files(Path.Combine(third, "k8s")));
            foreach (var file in files)
            {
                Assert.True(File.ReadAllText(Path.Combine(second, "k8s", file)) == File.ReadAllText(Path.Combine(third, "k8s", file)), $"{file} differs between two publishes");
                Assert.True(File.ReadAllText(Path.Combine(second, "k8s", file)) == File.ReadAllText(Path.Combine(manifests.K8s, file)), $"{file} differs between the AppHost's publish and an in-process one");
            }

            File.WriteAllText(Path.Combine(second, "k8s", "overlays", "production", "secrets.env"), "POSTGRES_PASSWORD=kept\n");
            await Manifests.WriteAsync(Program.Ichrisbirch, second);
            Assert.Equal("POSTGRES_PASSWORD=kept\n", File.ReadAllText(Path.Combine(second, "k8s", "overlays", "production", "secrets.env")));
        }
        finally
        {
            Directory.Delete(second, recursive: true);
            Directory.Delete(third, recursive: true);
        }
    }

    private static string[] Files(string root) => [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task No_secret_value_is_written_only_empty_examples_and_an_overlay_without_secrets_env_does_not_render()
    {
        foreach (var file in Directory.EnumerateFiles(manifests.K8s, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("secrets.env", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            foreach (var secret in Publisher.Secrets.Values) Assert.DoesNotContain(secret, text);
            Assert.DoesNotContain("kind: Secret", text);
        }
        foreach (var overlay in Manifests.Overlays)
        {
            var example = File.ReadAllLines(Path.Combine(manifests.K8s, "overlays", overlay, "secrets.env.example")).Where(l => !l.StartsWith('#')).ToList();
            Assert.Contains("POSTGRES_PASSWORD=", example);
            Assert.All(example, line => Assert.EndsWith("=", line));
            Assert.Equal("Secret", manifests.Objects[overlay].Single(d => ((string)d.At("metadata", "name")!).StartsWith("secrets-", StringComparison.Ordinal))["kind"]);
        }

        var filled = Path.Combine(manifests.K8s, "overlays", "production", "secrets.env");
        File.Move(filled, filled + ".moved");
        try
        {
            var (exit, output) = await Publisher.ExecAsync(Manifests.Kubectl(), ["kustomize", "overlays/production"], manifests.K8s);
            Assert.NotEqual(0, exit);
            Assert.Contains("secrets.env", output);
        }
        finally
        {
            File.Move(filled + ".moved", filled);
        }
    }
}
