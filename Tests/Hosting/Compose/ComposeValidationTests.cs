using System.Text.Json;

namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>The bundle is accepted by docker-compose and the compose-spec schema, and merged it is each environment's model.</summary>
public class ComposeValidationTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private static readonly (string Environment, string[] Files)[] Combinations =
    [
        ("Production", ["docker-compose.yml"]),
        ("Development", ["docker-compose.yml", "docker-compose.dev.yml"]),
        ("Testing", ["docker-compose.yml", "docker-compose.test.yml"]),
    ];

    /// <summary>
    /// compose-spec.schema.json is the compose specification schema bundled by the npm package dclint 3.1.0
    /// (node_modules/dclint/schemas/compose.schema.json), copied unchanged.
    /// </summary>
    private static readonly string Schema = Path.Combine(Publisher.RepoRoot, "Tests", "Hosting", "Compose", "compose-spec.schema.json");

    /// <summary>.env.example with every secret filled, as a deployer would (the lines under a "secret" comment).</summary>
    internal static IEnumerable<string> Filled(string directory)
    {
        var lines = File.ReadAllLines(Path.Combine(directory, ".env.example"));
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].Contains('=') || lines[i].StartsWith('#')) continue;
            yield return lines[i].EndsWith('=') && i > 0 && lines[i - 1].Contains("(secret", StringComparison.Ordinal)
                ? $"{lines[i]}filled-{lines[i].TrimEnd('=').ToLowerInvariant()}" : lines[i];
        }
    }

    private static async Task<(int ExitCode, string Output)> ConfigAsync(string directory, string[] files, params string[] extra)
    {
        var compose = Publisher.RequireTool("docker-compose", "apt-get install -y docker-compose");
        var envFile = extra.SkipWhile(a => a != "--env-file").Take(2).ToArray();
        return await Publisher.ExecAsync(compose,
            [.. envFile, .. files.SelectMany(f => new[] { "-f", f }), "config", .. extra.Except(envFile)], directory);
    }

    [Fact]
    public async Task Every_file_combination_passes_compose_config_with_a_filled_env()
    {
        File.WriteAllLines(Path.Combine(bundle.Directory, ".env"), Filled(bundle.Directory));
        try
        {
            foreach (var (_, files) in Combinations)
            {
                var (exit, output) = await ConfigAsync(bundle.Directory, files, "-q");
                Assert.True(exit == 0, $"docker-compose {string.Join(" -f ", files)} config: {output}");
            }
        }
        finally
        {
            File.Delete(Path.Combine(bundle.Directory, ".env"));
        }
    }

    [Fact]
    public async Task An_unchanged_copy_of_env_example_is_rejected_at_the_secret_guard_and_a_filled_copy_passes()
    {
        var example = Path.Combine(bundle.Directory, ".env.example");
        Assert.Contains("\nPOSTGRES_PASSWORD=\n", File.ReadAllText(example)); // secrets start empty
        var (exit, output) = await ConfigAsync(bundle.Directory, ["docker-compose.yml"], "-q", "--env-file", example);
        Assert.NotEqual(0, exit);
        Assert.Matches(@"set [A-Z_]+ in \.env", output);

        var filled = Path.Combine(bundle.Directory, ".env.filled");
        File.WriteAllLines(filled, Filled(bundle.Directory));
        try
        {
            (exit, output) = await ConfigAsync(bundle.Directory, ["docker-compose.yml"], "-q", "--env-file", filled);
            Assert.True(exit == 0, output);
        }
        finally
        {
            File.Delete(filled);
        }
    }

    [Fact]
    public async Task Merged_with_its_override_each_environment_gives_every_service_exactly_the_models_variables()
    {
        File.WriteAllLines(Path.Combine(bundle.Directory, ".env"), Filled(bundle.Directory));
        try
        {
            foreach (var (environment, files) in Combinations)
            {
                var (exit, output) = await ConfigAsync(bundle.Directory, files);
                Assert.True(exit == 0, output);
                var merged = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(output).Map("services");
                var model = await ManifestEnvironmentAsync(environment);
                var missing = model.Keys.Except(merged.Keys.Cast<string>()).ToList();
                Assert.True(missing.Count == 0, $"{environment}: model resources without a service: {string.Join(' ', missing)}");
                foreach (var (service, variables) in model)
                {
                    var composeVariables = ((Dictionary<object, object>)merged[service]).TryGetValue("environment", out var env)
                        ? ((Dictionary<object, object>)env).Keys.Cast<string>() : [];
                    Assert.True(variables.Order(StringComparer.Ordinal).SequenceEqual(composeVariables.Order(StringComparer.Ordinal)),
                        $"{environment} {service}: model [{string.Join(' ', variables.Order())}] compose [{string.Join(' ', composeVariables.Order())}]");
                }
            }
        }
        finally
        {
            File.Delete(Path.Combine(bundle.Directory, ".env"));
        }
    }

    /// <summary>The model of an environment as the Aspire manifest publisher writes it: each compute resource's variable names.</summary>
    private static async Task<Dictionary<string, string[]>> ManifestEnvironmentAsync(string environment)
    {
        var path = Path.Combine(Path.GetTempPath(), $"manifest-{environment}-{Guid.NewGuid():N}.json");
        try
        {
            await Publisher.RunAsync(["--operation", "publish", "--publisher", "manifest", "--output-path", path], environment);
            using var manifest = JsonDocument.Parse(File.ReadAllText(path));
            return manifest.RootElement.GetProperty("resources").EnumerateObject()
                .Where(r => r.Value.GetProperty("type").GetString()!.StartsWith("container.", StringComparison.Ordinal))
                .ToDictionary(r => r.Name, r => r.Value.TryGetProperty("env", out var env) ? env.EnumerateObject().Select(p => p.Name).ToArray() : []);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Every_file_matches_the_compose_spec_schema()
    {
        var python = Publisher.RequireTool("python3", "apt-get install -y python3 python3-jsonschema python3-yaml");
        const string validate = """
            import json, sys
            try:
                import jsonschema, yaml
            except ImportError as e:
                sys.exit(f"{e.name} is missing: apt-get install -y python3-jsonschema python3-yaml")
            schema = json.load(open(sys.argv[1]))
            failed = 0
            for path in sys.argv[2:]:
                for error in jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(open(path))):
                    failed += 1
                    print(f"{path}: {list(error.absolute_path)}: {error.message}")
            sys.exit(1 if failed else 0)
            """;
        var (exit, output) = await Publisher.ExecAsync(python, ["-c", validate, Schema, "docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml"], bundle.Directory);
        Assert.True(exit == 0, output);
    }
}
