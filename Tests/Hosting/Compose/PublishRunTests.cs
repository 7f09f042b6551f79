namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>How publishing behaves as a command: deterministic, production whatever the environment, no tools needed.</summary>
public class PublishRunTests
{
    [Fact]
    public async Task Publish_is_byte_identical_across_runs_environments_settings_in_environment_variables_and_a_PATH_without_postgres_or_python()
    {
        // A PATH holding nothing but a link to dotnet: no postgres, redis, python or docker.
        var dotnetOnly = Directory.CreateTempSubdirectory("dotnet-only-path-").FullName;
        var dotnet = new FileInfo(Publisher.RequireTool("dotnet", "install the .NET SDK"));
        File.CreateSymbolicLink(Path.Combine(dotnetOnly, "dotnet"), (dotnet.ResolveLinkTarget(returnFinalTarget: true) ?? dotnet).FullName);
        var first = await Publisher.ProductionCopyAsync(); // the run's shared publish: another run than the two below
        var development = await Publisher.PublishAsync(environment: "Development", path: dotnetOnly);
        // Publish-time models read only the checked-in appsettings*.json: machine settings change nothing.
        var testing = await Publisher.PublishAsync(environment: "Testing", variables: new Dictionary<string, string>
        {
            ["Ichrisbirch__Database"] = "from_the_environment",
            ["Ichrisbirch__PostgresVersion"] = "16",
            ["Ichrisbirch__Api__Workers"] = "9",
        });
        try
        {
            var expected = Snapshot(first);
            Assert.True(expected.Count > 10, "the bundle looks empty");
            Assert.Equal(expected, Snapshot(development));
            Assert.Equal(expected, Snapshot(testing));
        }
        finally
        {
            foreach (var dir in new[] { first, development, testing, dotnetOnly }) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Checked_in_manifest_matches_the_model()
    {
        const string command = "dotnet run --project AppHost --no-launch-profile -- --operation publish --publisher manifest --output-path ../aspire-manifest.json";
        var checkedIn = Path.Combine(Publisher.RepoRoot, "aspire-manifest.json");
        // Same folder as the checked-in file, so the relative paths inside are the same.
        var fresh = Path.Combine(Publisher.RepoRoot, $".aspire-manifest.{Guid.NewGuid():N}.json");
        try
        {
            await Publisher.RunAsync(["--operation", "publish", "--publisher", "manifest", "--output-path", fresh]);
            Assert.True(File.Exists(checkedIn), $"aspire-manifest.json is missing; regenerate it: {command}");
            Assert.True(File.ReadAllText(checkedIn) == File.ReadAllText(fresh),
                $"aspire-manifest.json differs from the model; regenerate it: {command}");
        }
        finally
        {
            File.Delete(fresh);
        }
    }

    [Fact]
    public async Task A_publish_the_model_cannot_satisfy_exits_1_with_one_line_naming_the_fix_and_the_other_target_still_publishes()
    {
        var output = Path.Combine(Publisher.RepoRoot, "services", $"out-{Guid.NewGuid():N}"); // inside the build context it copies
        try
        {
            var dotnet = Publisher.RequireTool("dotnet", "install the .NET SDK");
            var (exit, text) = await Processes.RunAsync(dotnet,
                ["run", "--project", "AppHost", "--no-build", "--no-launch-profile", "--", "--operation", "publish", "--step", "publish", "--output-path", output],
                Publisher.RepoRoot, Publisher.KubernetesSettings);
            Assert.Equal(1, exit);
            var line = Assert.Single(text.Split('\n'), l => l.StartsWith("aspire publish (", StringComparison.Ordinal));
            Assert.StartsWith("aspire publish (compose): ", line);
            Assert.EndsWith("would overlap the build context " + Path.Combine(Publisher.RepoRoot, "services") + ": publish to another folder.", line);
            Assert.DoesNotContain("   at ", text); // no stack trace
            Assert.True(File.Exists(Path.Combine(output, "k8s", "overlays", "production", "kustomization.yaml")), $"the compose failure kept the Kubernetes target from publishing:\n{text}");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task A_publish_that_fails_unexpectedly_exits_non_zero_instead_of_looking_like_a_success()
    {
        using var scratch = new ScratchDirectory();
        var blocker = Path.Combine(scratch.Path, "a-file");
        File.WriteAllText(blocker, ""); // the output folder would have to be created below a file
        var dotnet = Publisher.RequireTool("dotnet", "install the .NET SDK");
        var (exit, text) = await Publisher.ExecAsync(dotnet,
            ["run", "--project", "AppHost", "--no-build", "--no-launch-profile", "--", "--operation", "publish", "--step", "publish", "--output-path", Path.Combine(blocker, "out")], Publisher.RepoRoot);
        Assert.True(exit == 1, $"exit {exit}:\n{text}");
    }

    [Fact]
    public async Task Checked_in_compose_files_match_the_published_bundle()
    {
        var command = "dotnet run --project AppHost --no-launch-profile -- --operation publish --step publish --output-path ../Tests/Hosting/Compose/golden"
            + $" --Ichrisbirch:Kubernetes:Host={Publisher.IngressHost} --Ichrisbirch:Kubernetes:TlsSecretName={Publisher.TlsSecretName}";
        var golden = Path.Combine(Publisher.RepoRoot, "Tests", "Hosting", "Compose", "golden");
        var fresh = await Publisher.ProductionCopyAsync();
        try
        {
            foreach (var file in new[] { "docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml", ".env.example", Path.Combine("nginx", "http.conf"), Path.Combine("nginx", "https.conf"), Path.Combine("files", "app-role.sql") })
            {
                var checkedIn = Path.Combine(golden, file);
                Assert.True(File.Exists(checkedIn), $"Tests/Hosting/Compose/golden/{file} is missing; regenerate the golden files: {command}");
                Assert.True(File.ReadAllText(checkedIn) == File.ReadAllText(Path.Combine(fresh, file)),
                    $"Tests/Hosting/Compose/golden/{file} differs from what publish writes; review the diff and regenerate: {command}");
            }
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
    }

    private static SortedDictionary<string, string> Snapshot(string root)
        => new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
